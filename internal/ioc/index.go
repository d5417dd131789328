package ioc

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// maxPathDepth bounds the number of components of an observed path that file path
// lookups look at.
const maxPathDepth = 64

// entries maps a normalised value to every indicator holding it, in [order].
type entries map[string][]*Indicator

// Index is a compiled, read-only set of indicators. Every lookup costs time and
// memory independent of the number of indicators, never panics on any input, and
// returns nil when nothing matches. Match.All is shared with the index: do not
// modify it. An Index is safe for concurrent use.
type Index struct {
	tables map[Kind]entries // every kind, by normalised value

	// Lookup structures derived from tables by Build.
	domains, urls, procs entries                     // tables[Domain], tables[URL], tables[Process]
	addrs                map[netip.Addr][]*Indicator // IP indicators that are one address
	nets                 []netTable                  // IP networks, longest prefix first
	absPaths             entries                     // file paths starting with "/"
	relPaths             entries                     // other file paths
	relLast              map[string]bool             // last component of each relative path
	proc15, proc16       entries                     // 15- and 16-byte prefixes of longer process names
	maxDomain            int                         // longest domain indicator, in bytes
	maxAbs, maxRel       int                         // longest file path indicators, in bytes
	maxRelDepth          int                         // most components in a relative path indicator

	files []*File
}

// netTable holds the IP networks of one family and prefix length, keyed by their
// masked address.
type netTable struct {
	bits int
	is4  bool
	m    map[netip.Addr][]*Indicator
}

// Builder collects indicators into an [Index].
type Builder struct {
	tables map[Kind]entries
	files  []*File
	seen   map[*File]bool
	slots  []*Indicator // backs the one-indicator entries, a block at a time
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{tables: map[Kind]entries{}, seen: map[*File]bool{}}
}

// Add adds an indicator. It first normalises ind in place as [Load] does (ind.Value,
// and ind.Kind for a domain that is an IP address or a file name that is a path),
// and ignores an indicator whose value is not usable for its kind (empty, a malformed
// hash, a domain that is not a hostname…). The indicator's file, if any, is added to
// [Index.Files].
func (b *Builder) Add(ind *Indicator) {
	if ind == nil {
		return
	}
	k, v, err := normalize(ind.Kind, ind.Value)
	if err != nil {
		return
	}
	ind.Kind, ind.Value = k, v
	b.insert(ind)
}

// reserve makes room for n more values of kind k, when no value of that kind
// was added yet.
func (b *Builder) reserve(k Kind, n int) {
	if len(b.tables[k]) == 0 {
		b.tables[k] = make(entries, n)
	}
}

// insert adds an already normalised indicator.
func (b *Builder) insert(ind *Indicator) {
	if ind.Collection != nil {
		b.addFile(ind.Collection.File)
	}
	t := b.tables[ind.Kind]
	if t == nil {
		t = entries{}
		b.tables[ind.Kind] = t
	}
	if all, ok := t[ind.Value]; ok {
		t[ind.Value] = append(all, ind)
		return
	}
	// Most values have one indicator: carve their slices from a block rather than
	// allocating each (a million allocations less for a large feed).
	if len(b.slots) == cap(b.slots) {
		b.slots = make([]*Indicator, 0, 4096)
	}
	b.slots = append(b.slots, ind)
	n := len(b.slots)
	t[ind.Value] = b.slots[n-1 : n : n]
}

func (b *Builder) addFile(f *File) {
	if f != nil && !b.seen[f] {
		b.seen[f] = true
		b.files = append(b.files, f)
	}
}

// Build compiles the indicators added so far into an Index. The Builder is empty
// afterwards and can be reused.
func (b *Builder) Build() *Index {
	ix := &Index{tables: b.tables, files: b.files}
	*b = *NewBuilder()
	for _, t := range ix.tables {
		for v, all := range t {
			if len(all) > 1 {
				slices.SortStableFunc(all, order)
				t[v] = slices.CompactFunc(all, func(a, b *Indicator) bool { return a.ID == b.ID && a.Collection == b.Collection })
			}
		}
	}
	ix.domains, ix.urls, ix.procs = ix.tables[Domain], ix.tables[URL], ix.tables[Process]
	for v := range ix.domains {
		ix.maxDomain = max(ix.maxDomain, len(v))
	}
	ix.buildIP()
	ix.buildPaths()
	ix.buildProcesses()
	return ix
}

// order sorts indicators sharing a value: by file path, collection name, STIX id.
func order(a, b *Indicator) int {
	var ca, cb Collection
	var fa, fb File
	if a.Collection != nil {
		ca = *a.Collection
	}
	if b.Collection != nil {
		cb = *b.Collection
	}
	if ca.File != nil {
		fa = *ca.File
	}
	if cb.File != nil {
		fb = *cb.File
	}
	return cmp.Or(
		strings.Compare(fa.Path, fb.Path),
		strings.Compare(ca.Name, cb.Name),
		strings.Compare(a.ID, b.ID),
		strings.Compare(ca.ID, cb.ID),
	)
}

func (ix *Index) buildIP() {
	ix.addrs = map[netip.Addr][]*Indicator{}
	type family struct {
		bits int
		is4  bool
	}
	byLen := map[family]map[netip.Addr][]*Indicator{}
	for v, all := range ix.tables[IP] {
		p, err := parseIP(v)
		if err != nil { // cannot happen: v was normalised
			continue
		}
		if p.IsSingleIP() {
			ix.addrs[p.Addr()] = all
			continue
		}
		key := family{p.Bits(), p.Addr().Is4()}
		if byLen[key] == nil {
			byLen[key] = map[netip.Addr][]*Indicator{}
		}
		byLen[key][p.Addr()] = all
	}
	for key, m := range byLen {
		ix.nets = append(ix.nets, netTable{key.bits, key.is4, m})
	}
	slices.SortFunc(ix.nets, func(a, b netTable) int {
		if a.is4 != b.is4 { // any fixed order: an address matches one family only
			if a.is4 {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.bits, a.bits)
	})
}

func (ix *Index) buildPaths() {
	ix.absPaths, ix.relPaths, ix.relLast = entries{}, entries{}, map[string]bool{}
	for v, all := range ix.tables[FilePath] {
		if strings.HasPrefix(v, "/") {
			ix.absPaths[v] = all
			ix.maxAbs = max(ix.maxAbs, len(v))
		} else {
			ix.relPaths[v] = all
			ix.relLast[base(v)] = true
			ix.maxRel = max(ix.maxRel, len(v))
			ix.maxRelDepth = max(ix.maxRelDepth, strings.Count(v, "/")+1)
		}
	}
}

func (ix *Index) buildProcesses() {
	ix.proc15, ix.proc16 = entries{}, entries{}
	for v, all := range ix.procs {
		for _, n := range [...]int{15, 16} {
			if len(v) <= n {
				continue
			}
			t := ix.proc15
			if n == 16 {
				t = ix.proc16
			}
			t[v[:n]] = append(t[v[:n]], all...)
		}
	}
	for _, t := range [...]entries{ix.proc15, ix.proc16} {
		for _, all := range t {
			slices.SortStableFunc(all, order)
		}
	}
}

// Len returns the number of distinct (kind, value) pairs.
func (ix *Index) Len() int {
	n := 0
	for _, t := range ix.tables {
		n += len(t)
	}
	return n
}

// Count returns the number of distinct values of kind k.
func (ix *Index) Count(k Kind) int { return len(ix.tables[k]) }

// Empty reports whether the index holds no indicator.
func (ix *Index) Empty() bool { return ix.Len() == 0 }

// Files returns the indicator files the index was built from, in load order; Load
// lists every file it read, including those it skipped.
func (ix *Index) Files() []*File { return slices.Clip(ix.files) }

// Indicators returns every indicator of kind k, sorted by value and then in the
// order of [Match.All].
func (ix *Index) Indicators(k Kind) []*Indicator {
	t := ix.tables[k]
	var out []*Indicator
	for _, v := range slices.Sorted(maps.Keys(t)) {
		out = append(out, t[v]...)
	}
	return out
}

func hit(all []*Indicator, observed string) *Match {
	if len(all) == 0 {
		return nil
	}
	return &Match{Indicator: all[0], All: slices.Clip(all), Observed: observed}
}

// MatchDomain looks up a host name and each of its parents, dropping one label at a
// time: evil.com matches evil.com and a.b.evil.com, never notevil.com nor
// evil.com.attacker.net. Case, surrounding space and a trailing dot are ignored.
// Observed is the matching domain.
func (ix *Index) MatchDomain(host string) *Match {
	t := ix.domains
	if len(t) == 0 {
		return nil
	}
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	for s := h; s != ""; {
		if len(s) <= ix.maxDomain {
			if all := t[s]; all != nil {
				return hit(all, s)
			}
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return nil
}

// MatchIP looks up an IPv4 or IPv6 address, exactly and inside network indicators
// (longest prefix first). IPv4-mapped IPv6 addresses are looked up as IPv4; brackets
// and a zone are ignored. Observed is the address in canonical form.
func (ix *Index) MatchIP(s string) *Match {
	if len(ix.addrs) == 0 && len(ix.nets) == 0 {
		return nil
	}
	a, ok := parseAddr(s)
	if !ok {
		return nil
	}
	if all := ix.addrs[a]; all != nil {
		return hit(all, a.String())
	}
	for _, n := range ix.nets {
		if n.is4 != a.Is4() {
			continue
		}
		p, err := a.Prefix(n.bits)
		if err != nil {
			continue
		}
		if all := n.m[p.Addr()]; all != nil {
			return hit(all, a.String())
		}
	}
	return nil
}

// MatchHost looks up a host as found in a URL or a log: a port is removed, then an
// IP literal goes to [Index.MatchIP] and anything else to [Index.MatchDomain].
func (ix *Index) MatchHost(host string) *Match {
	h := splitHostPort(host)
	if _, ok := parseAddr(h); ok {
		return ix.MatchIP(h)
	}
	return ix.MatchDomain(h)
}

// MatchURL looks up a URL. It is parsed tolerantly ("http://" is assumed when there
// is no scheme) and put in canonical form: lower-case scheme and host, no user
// information, no default port, "/" for an empty path, no fragment. A URL indicator
// matches the same canonical URL; an indicator without a query also matches the URL
// with any query (indicator http://evil.com/x matches http://evil.com/x?id=1). When
// no URL indicator matches, the URL's host goes through [Index.MatchHost] and
// Observed is that host. A URL that does not parse is reduced to the host-looking
// token at its start; the rest of it is never searched.
func (ix *Index) MatchURL(raw string) *Match {
	u, ok := parseURL(raw)
	if !ok {
		return ix.MatchHost(hostToken(raw))
	}
	if t := ix.urls; len(t) > 0 {
		if all := t[u.canon]; all != nil {
			return hit(all, u.canon)
		}
		if all := t[u.noQuery]; u.noQuery != "" && all != nil {
			return hit(all, u.noQuery)
		}
	}
	if _, isIP := parseAddr(u.host); isIP {
		return ix.MatchIP(u.host)
	}
	return ix.MatchDomain(u.host)
}

// MatchEmail looks up an e-mail address, case-insensitively; a "mailto:" prefix is
// accepted.
func (ix *Index) MatchEmail(addr string) *Match {
	v := strings.ToLower(trimMailto(strings.TrimSpace(addr)))
	return hit(ix.tables[Email][v], v)
}

// MatchProcess looks up the base name of a process name or path, case-sensitively.
// A name of exactly 15 or 16 bytes, as truncated by the Linux or Darwin kernel, also
// matches a longer indicator it starts. Observed is the base name.
func (ix *Index) MatchProcess(name string) *Match {
	b := base(name)
	if b == "" {
		return nil
	}
	if all := ix.procs[b]; all != nil {
		return hit(all, b)
	}
	switch len(b) {
	case 15:
		return hit(ix.proc15[b], b)
	case 16:
		return hit(ix.proc16[b], b)
	}
	return nil
}

// MatchFileName looks up the base name of name, case-sensitively.
func (ix *Index) MatchFileName(name string) *Match {
	b := base(name)
	return hit(ix.tables[FileName][b], b)
}

// MatchFilePath looks up a file path. Indicator and path are both cleaned ("//",
// "." and ".." collapsed, trailing "/" dropped) and the iOS aliases /var, /tmp and
// /etc are read as /private/var, /private/tmp and /private/etc. An absolute indicator
// P matches P and every path under it (P + "/…"), never a sibling that merely starts
// with the same letters. A relative indicator matches when it equals a run of whole
// components anywhere in the path. Only the first 64 components are looked at.
// Observed is the matching part of the cleaned path.
func (ix *Index) MatchFilePath(p string) *Match {
	if len(ix.absPaths) == 0 && len(ix.relPaths) == 0 || p == "" {
		return nil
	}
	q := cleanPath(p)
	// Component boundaries: component i is q[start[i]:end[i]].
	var start, end [maxPathDepth]int
	n := 0
	for i := 0; i < len(q) && n < maxPathDepth; {
		if q[i] == '/' {
			i++
			continue
		}
		j := strings.IndexByte(q[i:], '/')
		if j < 0 {
			j = len(q) - i
		}
		start[n], end[n] = i, i+j
		n++
		i += j
	}
	// Absolute indicators: each prefix of the path ending with a component.
	if q[0] == '/' && len(ix.absPaths) > 0 {
		for i := range n {
			if end[i] > ix.maxAbs {
				break
			}
			if all := ix.absPaths[q[:end[i]]]; all != nil {
				return hit(all, q[:end[i]])
			}
		}
	}
	// Relative indicators: the runs of components that end with the last component
	// of one of them.
	for j := range n {
		if !ix.relLast[q[start[j]:end[j]]] {
			continue
		}
		for i := j; i >= 0 && j-i < ix.maxRelDepth && end[j]-start[i] <= ix.maxRel; i-- {
			if all := ix.relPaths[q[start[i]:end[j]]]; all != nil {
				return hit(all, q[start[i]:end[j]])
			}
		}
	}
	return nil
}

// MatchPathProcess reports whether any "/"-separated component of p is exactly a
// process indicator. Observed is that component.
func (ix *Index) MatchPathProcess(p string) *Match {
	t := ix.procs
	if len(t) == 0 {
		return nil
	}
	for c := range strings.SplitSeq(p, "/") {
		if all := t[c]; c != "" && all != nil {
			return hit(all, c)
		}
	}
	return nil
}

// MatchHash looks up a hex MD5, SHA-1 or SHA-256 digest (chosen by its length),
// case-insensitively.
func (ix *Index) MatchHash(hexdigest string) *Match {
	v := strings.ToLower(strings.TrimSpace(hexdigest))
	k := hashKind(v)
	if k == "" {
		return nil
	}
	return hit(ix.tables[k][v], v)
}

// MatchAppID looks up an application or package identifier, case-insensitively.
func (ix *Index) MatchAppID(id string) *Match { return ix.lower(AppID, id) }

// MatchAppCertHash looks up the hex digest of an application's signing certificate,
// case-insensitively; ':' separators are ignored.
func (ix *Index) MatchAppCertHash(hexdigest string) *Match {
	v := strings.ToLower(strings.TrimSpace(hexdigest))
	if strings.IndexByte(v, ':') >= 0 {
		v = strings.ReplaceAll(v, ":", "")
	}
	return hit(ix.tables[AppCertHash][v], v)
}

// MatchProfileID looks up a configuration profile identifier or UUID: the whole
// value, case-insensitively.
func (ix *Index) MatchProfileID(id string) *Match { return ix.lower(ProfileID, id) }

// MatchAndroidProperty looks up an Android system property name, case-insensitively.
func (ix *Index) MatchAndroidProperty(name string) *Match { return ix.lower(AndroidProperty, name) }

func (ix *Index) lower(k Kind, s string) *Match {
	t := ix.tables[k]
	if len(t) == 0 {
		return nil
	}
	v := strings.ToLower(strings.TrimSpace(s))
	return hit(t[v], v)
}

package ioc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Warning is one thing Load skipped or could not use: a file, an object, a pattern
// or a part of a pattern.
type Warning struct {
	File    string // path of the indicator file, as given to Load
	ID      string // STIX id of the object; "" for the file itself
	Message string
}

// String formats the warning as "file: id: message" ("file: message" without id).
func (w Warning) String() string {
	if w.ID == "" {
		return w.File + ": " + w.Message
	}
	return w.File + ": " + w.ID + ": " + w.Message
}

// LoadOptions configures [Load].
type LoadOptions struct {
	// Now is the reference time for valid_until; zero keeps expired indicators.
	Now time.Time
	// Warn, if not nil, is called for every skipped file, object, pattern or part
	// of a pattern, in load order.
	Warn func(Warning)
	// MaxFileBytes is the size above which a file is skipped with a warning; 0
	// means 1 GiB.
	MaxFileBytes int64
}

// FileReport says what Load took from one file.
type FileReport struct {
	File *File
	// Indicators counts the usable values taken from the file: one per distinct
	// value of each STIX indicator, however many collections hold it.
	Indicators int
	ByKind     map[Kind]int
	// Collections lists the collections that received indicators, in file order,
	// the file's default collection last.
	Collections []*Collection
	// Skipped counts what was left out, by reason: "revoked", "expired",
	// "not an indicator pattern type", "malformed pattern", "compound pattern",
	// "qualified observation", "unsupported operator", "unsupported key",
	// "invalid value", "invalid object", and for the whole file "not JSON",
	// "not a STIX bundle" or "too large".
	Skipped map[string]int
}

// LoadReport says what Load did.
type LoadReport struct {
	Files    []FileReport // in load order
	Warnings int          // number of warnings (calls to LoadOptions.Warn)
}

// Load reads STIX 2.1 bundles and compiles their indicators into an Index. Each
// path is a file of any extension, or a folder searched recursively for files
// ending in .stix2, .stix or .json (case-insensitive), in sorted order; a file
// reached twice is read once.
//
// Load returns an error only when a path does not exist or cannot be read. Bad
// content never stops it: a file that is not JSON or not a bundle is skipped, a bad
// object or pattern is skipped, each with a [Warning]; the [LoadReport] counts them.
//
// An indicator belongs to every report whose object_refs lists it; failing that,
// to every malware, intrusion-set, campaign, threat-actor or tool object a
// relationship (of any type, in either direction) links it to; failing that, to
// the file's default collection, named after the file. Revoked indicators, those
// whose valid_until is before opts.Now and those whose pattern_type is not "stix"
// are skipped. Of a newer and older version of one object (same id), the one with
// the latest "modified" is used.
//
// Patterns are parsed with the full STIX 2.1 patterning grammar. Every positive
// equality (= or IN) that proves the pattern on its own, that is every operand of
// its top-level OR, becomes an indicator value when its key is one of:
//
//	domain-name:value       domains (an IP address or network there: ips)
//	ipv4-addr:value         ips (address or CIDR network)
//	ipv6-addr:value         ips (address or CIDR network)
//	url:value               urls
//	email-addr:value        emails
//	process:name            processes
//	file:name               file_names (a value holding "/": file_paths)
//	file:path               file_paths
//	file:hashes.<alg>       files_md5, files_sha1, files_sha256 (alg MD5, SHA-1, SHA-256, in any spelling)
//	app:id                  app_ids
//	app:cert.<alg>          app_cert_hashes
//	configuration-profile:id  ios_profile_ids
//	android-property:name   android_property_names
//
// Comparisons joined by AND or FOLLOWEDBY (unless all are the same comparison),
// qualified observations (WITHIN, REPEATS, START/STOP), negations, other operators
// and other keys are skipped with a warning, since matching them alone would raise
// false alerts.
func Load(paths []string, opts LoadOptions) (*Index, *LoadReport, error) {
	files, err := expandPaths(paths)
	if err != nil {
		return nil, nil, err
	}
	l := newLoader(opts)
	for _, p := range files {
		fr, err := l.loadFile(p)
		if err != nil {
			return nil, nil, err
		}
		l.report.Files = append(l.report.Files, fr)
	}
	return l.b.Build(), l.report, nil
}

// expandPaths lists the files to read, folders expanded.
func expandPaths(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		key := filepath.Clean(p)
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("load indicators %q: %w", p, err)
		}
		if !fi.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(q)) {
			case ".stix2", ".stix", ".json":
			default:
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				if fi, err := os.Stat(q); err != nil || fi.IsDir() {
					return nil // a dangling link or a link to a folder is not an indicator file
				}
			} else if d.IsDir() {
				return nil
			}
			found = append(found, q)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load indicators %q: %w", p, err)
		}
		slices.Sort(found)
		for _, q := range found {
			add(q)
		}
	}
	return out, nil
}

type loader struct {
	opts   LoadOptions
	b      *Builder
	report *LoadReport
}

func newLoader(opts LoadOptions) *loader {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = 1 << 30
	}
	return &loader{opts: opts, b: NewBuilder(), report: &LoadReport{}}
}

// fileLoad is the state of one file being read.
type fileLoad struct {
	opts  *LoadOptions
	fr    *FileReport
	warns []Warning
	block []Indicator // where newIndicator allocates
}

// newIndicator returns a copy of ind allocated from a block of indicators, which
// spares the garbage collector a million small objects for a large feed.
func (f *fileLoad) newIndicator(ind Indicator) *Indicator {
	if len(f.block) == cap(f.block) {
		f.block = make([]Indicator, 0, 1024)
	}
	f.block = append(f.block, ind)
	return &f.block[len(f.block)-1]
}

// skip counts one skipped thing under reason and warns about it; an empty reason
// only warns.
func (f *fileLoad) skip(id, reason, msg string) {
	if reason != "" {
		f.fr.Skipped[reason]++
	}
	f.warns = append(f.warns, Warning{File: f.fr.File.Path, ID: id, Message: msg})
}

func (l *loader) loadFile(path string) (FileReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileReport{}, fmt.Errorf("load indicators %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return FileReport{}, fmt.Errorf("load indicators %q: %w", path, err)
	}
	return l.read(path, f, fi.Size())
}

// read loads the content of one file, of the given size.
func (l *loader) read(path string, r io.Reader, size int64) (FileReport, error) {
	file := &File{Path: path, Name: filepath.Base(path)}
	fr := FileReport{File: file, ByKind: map[Kind]int{}, Skipped: map[string]int{}}
	fl := &fileLoad{opts: &l.opts, fr: &fr}
	l.b.addFile(file)
	defer func() {
		for _, w := range fl.warns {
			l.report.Warnings++
			if l.opts.Warn != nil {
				l.opts.Warn(w)
			}
		}
	}()
	tooLarge := func() (FileReport, error) {
		fl.warns, fr.Skipped = nil, map[string]int{}
		fl.skip("", "too large", fmt.Sprintf("file is larger than %d bytes, skipped", l.opts.MaxFileBytes))
		return fr, nil
	}
	if size > l.opts.MaxFileBytes {
		return tooLarge()
	}
	src := &source{r: io.LimitReader(r, l.opts.MaxFileBytes+1), h: sha256.New()}
	b, decodeErr := decodeBundle(src, size, fl)
	if _, err := io.Copy(io.Discard, src); err == nil && src.err == nil {
		file.SHA256 = hex.EncodeToString(src.h.Sum(nil))
	}
	switch {
	case src.err != nil:
		return fr, fmt.Errorf("load indicators %q: %w", path, src.err)
	case src.n > l.opts.MaxFileBytes:
		return tooLarge()
	case decodeErr != nil:
		fl.warns, fr.Skipped = nil, map[string]int{} // object warnings of a file skipped whole are noise
		switch {
		case src.n == 0:
			fl.skip("", "not JSON", "empty file, skipped")
		case errors.Is(decodeErr, errNotBundle):
			fl.skip("", "not a STIX bundle", decodeErr.Error()+", skipped")
		case errors.Is(decodeErr, io.ErrUnexpectedEOF):
			fl.skip("", "not JSON", "not JSON (truncated), skipped")
		default:
			fl.skip("", "not JSON", fmt.Sprintf("not JSON (%v), skipped", decodeErr))
		}
		return fr, nil
	}
	fl.resolve(b, l.b, file)
	return fr, nil
}

// source reads a file, hashing and counting what it reads and keeping the first
// read error (as opposed to errors in the content).
type source struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// stixObject holds the properties Load reads from any STIX object. The byte slices
// are reused from object to object: most are only looked up, not kept.
type stixObject struct {
	Type, Name, Description string
	Pattern, PatternType    string
	Revoked                 bool
	ValidUntil              string
	ObjectRefs              []string
	ID, Modified            []byte
	SourceRef, TargetRef    []byte
}

func (o *stixObject) reset() {
	*o = stixObject{ID: o.ID[:0], Modified: o.Modified[:0], SourceRef: o.SourceRef[:0], TargetRef: o.TargetRef[:0]}
}

// bundle is what a file contributes before collections are resolved.
type bundle struct {
	inds      []pending
	indIdx    map[string]int32    // indicator id → index in inds
	problems  map[int32][]problem // what was skipped in inds[i]
	moreLinks map[int32][]int32   // grouping objects linked to inds[i] after the first
	early     map[string][]int32  // links to indicators not read yet

	groups   []group
	groupIdx map[string]int32 // grouping object or report id → index in groups
	objOrder []int32          // groups whose object was read, in file order
}

// pending is one indicator object as read, its pattern already turned into
// indicators whose Collection is set once the whole file is read.
type pending struct {
	id       string
	modified int64 // "modified", in Unix nanoseconds, to pick the latest version
	inds     []*Indicator
	link     int32 // first grouping object linked, plus one; 0 for none
}

// group is a report or grouping object, or one only named by a relationship so far.
type group struct {
	id, name, description string
	report                bool
	read                  bool // the object itself was read
	refs                  []string
	col                   *Collection
}

func isGroupingType(t string) bool {
	switch t {
	case "malware", "intrusion-set", "campaign", "threat-actor", "tool":
		return true
	}
	return false
}

// isGroupingRef reports whether a STIX id names a grouping object.
func isGroupingRef(id []byte) bool {
	t, _, _ := bytes.Cut(id, []byte("--"))
	switch string(t) {
	case "malware", "intrusion-set", "campaign", "threat-actor", "tool":
		return true
	}
	return false
}

func isIndicatorRef(id []byte) bool { return bytes.HasPrefix(id, []byte("indicator--")) }

// errNotBundle is returned by decodeBundle for JSON that is not a STIX bundle.
var errNotBundle = errors.New("not a STIX bundle")

// decodeBundle streams a bundle's objects into a bundle. It returns an error when
// the file is not JSON (a *jsonSyntaxError or io.ErrUnexpectedEOF) or not a bundle
// (wrapping errNotBundle). Text after the bundle is ignored. size is the file size,
// used to size tables.
func decodeBundle(r io.Reader, size int64, fl *fileLoad) (*bundle, error) {
	s := newJSONScanner(r, size)
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	if c != '{' {
		if err := s.skip(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w (a JSON %s, not an object)", errNotBundle, kind(c))
	}
	hint := int(min(size/512, 1<<22)) // feeds write about 700 bytes per indicator
	b := &bundle{
		inds: make([]pending, 0, hint), indIdx: make(map[string]int32, hint),
		problems: map[int32][]problem{}, moreLinks: map[int32][]int32{},
		early: map[string][]int32{}, groupIdx: map[string]int32{},
	}
	typ, hasObjects := "", false
	var o stixObject
	object := func() error {
		switch c, _ := s.peek(); c {
		case '{':
			o.reset()
			bad, err := readObject(s, &o)
			if err != nil {
				return err
			}
			if bad != "" {
				fl.skip(string(o.ID), "invalid object", "invalid object: "+bad)
			} else {
				b.add(&o, fl)
			}
		case 'n':
			return s.literal("null")
		default:
			if err := s.skip(); err != nil {
				return err
			}
			fl.skip("", "invalid object", "invalid object: a JSON "+kind(c))
		}
		return nil
	}
	err = s.object(func(key []byte) error {
		switch string(key) {
		case "type":
			v, err := s.text()
			if err == errTypeMismatch {
				return fmt.Errorf(`%w ("type" is not a string)`, errNotBundle)
			}
			typ = string(v)
			return err
		case "objects":
			if c, _ := s.peek(); c != '[' {
				return fmt.Errorf(`%w ("objects" is not a list)`, errNotBundle)
			}
			hasObjects = true
			return s.array(object)
		}
		return s.skip()
	})
	switch {
	case err != nil:
		return nil, err
	case typ != "bundle" && typ != "":
		return nil, fmt.Errorf("%w (type %q)", errNotBundle, typ)
	case !hasObjects:
		return nil, fmt.Errorf(`%w (no "objects")`, errNotBundle)
	}
	return b, nil
}

// readObject reads one STIX object into o. A property of the wrong JSON type is
// skipped and described in bad; err is a syntax or read error.
func readObject(s *jsonScanner, o *stixObject) (bad string, err error) {
	str := func(dst *string, name string) error {
		v, err := s.text()
		if err == errTypeMismatch {
			if bad == "" {
				bad = fmt.Sprintf("%q is not a string", name)
			}
			return nil
		}
		*dst = jsonString(v)
		return err
	}
	bytesField := func(dst *[]byte, name string) error {
		v, err := s.text()
		if err == errTypeMismatch {
			if bad == "" {
				bad = fmt.Sprintf("%q is not a string", name)
			}
			return nil
		}
		if !utf8.Valid(v) {
			v = []byte(jsonString(v))
		}
		*dst = append((*dst)[:0], v...)
		return err
	}
	err = s.object(func(key []byte) error {
		switch string(key) {
		case "type":
			return str(&o.Type, "type")
		case "id":
			return bytesField(&o.ID, "id")
		case "name":
			return str(&o.Name, "name")
		case "description":
			return str(&o.Description, "description")
		case "pattern":
			return str(&o.Pattern, "pattern")
		case "pattern_type":
			return str(&o.PatternType, "pattern_type")
		case "modified":
			return bytesField(&o.Modified, "modified")
		case "valid_until":
			return str(&o.ValidUntil, "valid_until")
		case "source_ref":
			return bytesField(&o.SourceRef, "source_ref")
		case "target_ref":
			return bytesField(&o.TargetRef, "target_ref")
		case "revoked":
			switch c, _ := s.peek(); c {
			case 't':
				o.Revoked = true
				return s.literal("true")
			case 'f':
				return s.literal("false")
			case 'n':
				return s.literal("null")
			}
			if bad == "" {
				bad = `"revoked" is not a boolean`
			}
		case "object_refs":
			if c, _ := s.peek(); c == '[' {
				return s.array(func() error {
					var ref string
					if err := str(&ref, "object_refs"); err != nil || ref == "" {
						return err
					}
					o.ObjectRefs = append(o.ObjectRefs, ref)
					return nil
				})
			} else if c != 'n' && bad == "" {
				bad = `"object_refs" is not a list`
			}
		}
		return s.skip()
	})
	return bad, err
}

// jsonString converts the bytes of a JSON string as encoding/json does: each byte
// of invalid UTF-8 becomes U+FFFD. Frequent values are not allocated again.
func jsonString(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case "indicator":
		return "indicator"
	case "relationship":
		return "relationship"
	case "malware":
		return "malware"
	case "stix":
		return "stix"
	case "indicates":
		return "indicates"
	}
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, r)
		b = b[n:]
	}
	return string(out)
}

func (b *bundle) add(o *stixObject, fl *fileLoad) {
	switch {
	case o.Type == "indicator":
		b.addIndicator(o, fl)
	case o.Type == "report" || isGroupingType(o.Type):
		gi := b.group(string(o.ID))
		g := &b.groups[gi]
		if g.read {
			g.refs = append(g.refs, o.ObjectRefs...)
			return
		}
		g.read, g.report, g.name, g.description, g.refs = true, o.Type == "report", o.Name, o.Description, o.ObjectRefs
		if g.name == "" {
			g.name = g.id
		}
		b.objOrder = append(b.objOrder, gi)
	case o.Type == "relationship" && !o.Revoked:
		src, dst := o.SourceRef, o.TargetRef
		if !isIndicatorRef(src) {
			src, dst = dst, src
		}
		if !isIndicatorRef(src) || !isGroupingRef(dst) {
			return
		}
		gi, ok := b.groupIdx[string(dst)]
		if !ok {
			gi = b.group(string(dst))
		}
		last := int32(len(b.inds) - 1)
		if last >= 0 && string(src) == b.inds[last].id { // the feeds' order: indicator, then its relationship
			b.link(last, gi)
		} else if i, ok := b.indIdx[string(src)]; ok {
			b.link(i, gi)
		} else {
			b.early[string(src)] = append(b.early[string(src)], gi)
		}
	}
}

func (b *bundle) group(id string) int32 {
	if i, ok := b.groupIdx[id]; ok {
		return i
	}
	i := int32(len(b.groups))
	b.groups = append(b.groups, group{id: id})
	b.groupIdx[id] = i
	return i
}

// link records that indicator i is linked to group gi.
func (b *bundle) link(i, gi int32) {
	p := &b.inds[i]
	switch {
	case p.link == 0:
		p.link = gi + 1
	case p.link != gi+1 && !slices.Contains(b.moreLinks[i], gi):
		b.moreLinks[i] = append(b.moreLinks[i], gi)
	}
}

func (b *bundle) addIndicator(o *stixObject, fl *fileLoad) {
	i, seen := b.indIdx[string(o.ID)]
	id := string(o.ID)
	if seen {
		id = b.inds[i].id
	}
	inds, problems := fl.indicators(o, id)
	var modified int64
	if t, err := time.Parse(time.RFC3339Nano, string(o.Modified)); err == nil {
		modified = t.UnixNano()
	}
	if seen { // another version of the same object: keep the latest
		if p := &b.inds[i]; modified >= p.modified {
			p.modified, p.inds = modified, inds
			delete(b.problems, i)
			if len(problems) > 0 {
				b.problems[i] = problems
			}
		}
		return
	}
	if len(b.inds) == math.MaxInt32 {
		fl.skip(id, "invalid object", "too many indicators in one file")
		return
	}
	i = int32(len(b.inds))
	b.inds = append(b.inds, pending{id: id, modified: modified, inds: inds})
	b.indIdx[id] = i
	if len(problems) > 0 {
		b.problems[i] = problems
	}
	if early, ok := b.early[id]; ok {
		for _, gi := range early {
			b.link(i, gi)
		}
		delete(b.early, id)
	}
}

// indicators turns an indicator object into one Indicator per usable value, and
// says what it had to leave out.
func (f *fileLoad) indicators(o *stixObject, id string) ([]*Indicator, []problem) {
	switch {
	case o.Revoked:
		return nil, []problem{{"revoked", "revoked indicator"}}
	case o.PatternType != "" && o.PatternType != "stix":
		return nil, []problem{{"not an indicator pattern type", fmt.Sprintf("pattern_type %q is not stix", o.PatternType)}}
	}
	var problems []problem
	if o.ValidUntil != "" {
		until, err := time.Parse(time.RFC3339Nano, o.ValidUntil)
		switch {
		case err != nil:
			problems = append(problems, problem{"", fmt.Sprintf("invalid valid_until %q, ignored", o.ValidUntil)})
		case !f.opts.Now.IsZero() && until.Before(f.opts.Now):
			return nil, []problem{{"expired", "expired on " + until.UTC().Format(time.RFC3339)}}
		}
	}
	if o.Pattern == "" {
		return nil, append(problems, problem{"malformed pattern", "indicator has no pattern"})
	}
	root, err := parsePattern(o.Pattern)
	if err != nil {
		return nil, append(problems, problem{"malformed pattern", fmt.Sprintf("malformed pattern %s: %v", quoteShort(o.Pattern), err)})
	}
	leaves, more := root.leaves()
	problems = append(problems, more...)
	var inds []*Indicator
	for _, l := range leaves {
		kind, alg := keyKind(l.path)
		if kind == "" {
			problems = append(problems, problem{"unsupported key", fmt.Sprintf("unsupported pattern key %q", l.path.String())})
			continue
		}
		k, v, err := normalize(kind, l.value)
		if err == nil && alg != "" && hashKind(v) != alg {
			err = errors.New("digest length does not match " + l.path.steps[1].name)
		}
		if err != nil {
			problems = append(problems, problem{"invalid value", fmt.Sprintf("invalid value %s for %s: %v", quoteShort(l.value), l.path.String(), err)})
			continue
		}
		if !slices.ContainsFunc(inds, func(ind *Indicator) bool { return ind.Kind == k && ind.Value == v }) {
			// Clone: v may share memory with the whole pattern.
			inds = append(inds, f.newIndicator(Indicator{ID: id, Kind: k, Value: strings.Clone(v)}))
		}
	}
	return inds, problems
}

// resolve puts every indicator of the bundle in its collections and into the index.
func (f *fileLoad) resolve(b *bundle, bld *Builder, file *File) {
	inReports := map[int32][]int32{}
	for _, gi := range b.objOrder {
		if !b.groups[gi].report {
			continue
		}
		for _, ref := range b.groups[gi].refs {
			if i, ok := b.indIdx[ref]; ok && !slices.Contains(inReports[i], gi) {
				inReports[i] = append(inReports[i], gi)
			}
		}
	}
	var def *Collection
	collection := func(gi int32) *Collection {
		if gi < 0 {
			if def == nil {
				def = &Collection{Name: strings.TrimSuffix(file.Name, filepath.Ext(file.Name)), File: file}
			}
			return def
		}
		g := &b.groups[gi]
		if g.col == nil {
			g.col = &Collection{ID: g.id, Name: g.name, Description: g.description, File: file}
		}
		return g.col
	}
	perKind := map[Kind]int{}
	for _, p := range b.inds {
		for _, ind := range p.inds {
			perKind[ind.Kind]++
		}
	}
	for k, n := range perKind {
		bld.reserve(k, n)
	}
	var cols []int32
	for i := range b.inds {
		p := &b.inds[i]
		if len(b.problems) > 0 {
			for _, pr := range b.problems[int32(i)] {
				f.skip(p.id, pr.reason, pr.msg)
			}
		}
		if len(p.inds) == 0 {
			continue
		}
		cols = cols[:0]
		if rs := inReports[int32(i)]; len(rs) > 0 {
			cols = append(cols, rs...)
		} else if p.link != 0 {
			cols = append(cols, p.link-1)
			if len(b.moreLinks) > 0 {
				cols = append(cols, b.moreLinks[int32(i)]...)
			}
			// Only links to grouping objects present in the file count.
			cols = slices.DeleteFunc(cols, func(gi int32) bool { return !b.groups[gi].read || b.groups[gi].report })
		}
		if len(cols) == 0 {
			cols = append(cols, -1)
		}
		for _, ind := range p.inds {
			f.fr.Indicators++
			f.fr.ByKind[ind.Kind]++
			for n, gi := range cols {
				c := collection(gi)
				c.Count++
				if n > 0 {
					cp := *ind
					ind = &cp
				}
				ind.Collection = c
				bld.insert(ind)
			}
		}
	}
	for _, gi := range b.objOrder {
		if c := b.groups[gi].col; c != nil {
			f.fr.Collections = append(f.fr.Collections, c)
		}
	}
	if def != nil {
		f.fr.Collections = append(f.fr.Collections, def)
	}
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 200
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// keyKind returns the kind of the values of a STIX key, "" if it is not supported,
// and for hash keys the digest kind its algorithm name implies.
func keyKind(p objectPath) (kind, alg Kind) {
	if len(p.steps) == 0 || p.steps[0].index {
		return "", ""
	}
	first := p.steps[0].name
	if len(p.steps) == 1 {
		switch p.typ + ":" + first {
		case "domain-name:value":
			return Domain, ""
		case "ipv4-addr:value", "ipv6-addr:value":
			return IP, ""
		case "url:value":
			return URL, ""
		case "email-addr:value":
			return Email, ""
		case "process:name":
			return Process, ""
		case "file:name":
			return FileName, ""
		case "file:path":
			return FilePath, ""
		case "app:id":
			return AppID, ""
		case "configuration-profile:id":
			return ProfileID, ""
		case "android-property:name":
			return AndroidProperty, ""
		}
		return "", ""
	}
	if len(p.steps) != 2 || p.steps[1].index {
		return "", ""
	}
	alg = hashAlg(p.steps[1].name)
	switch {
	case alg == "":
		return "", ""
	case p.typ == "file" && first == "hashes":
		return alg, alg
	case p.typ == "app" && first == "cert":
		return AppCertHash, alg
	}
	return "", ""
}

// hashAlg reads a hash algorithm name in any of the feeds' spellings (SHA-256,
// SHA256, sha256, sha_256…).
func hashAlg(name string) Kind {
	n := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		return r
	}, strings.ToUpper(name))
	switch n {
	case "MD5":
		return FileMD5
	case "SHA1":
		return FileSHA1
	case "SHA256":
		return FileSHA256
	}
	return ""
}

package applications

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// BundleRoot is the folder of a dump (device namespace, no leading slash) that holds one
// bundle container per installed app, named by a UUID.
const BundleRoot = "private/var/containers/Bundle/Application"

// Files of a bundle container.
const (
	// MetadataFile is the App Store's metadata of the app, at the container's top.
	MetadataFile = "iTunesMetadata.plist"
	// ContainerMetadataFile names the container's identifier (MCMMetadataIdentifier).
	ContainerMetadataFile = ".com.apple.mobile_container_manager.metadata.plist"
)

// maxContainers bounds the bundle containers read from one dump (a phone holds a few
// hundred apps at most); a variable for tests.
var maxContainers = 10_000

// container lists the files of one bundle container found in in.Files, by name.
type container struct {
	dir         string   // BundleRoot/<UUID>
	metadata    string   // <dir>/iTunesMetadata.plist, "" when absent
	containerMD string   // <dir>/.com.apple.mobile_container_manager.metadata.plist
	infoPlists  []string // <dir>/<Name>.app/Info.plist, sorted
}

// groupContainers sorts the dump's files into bundle containers, in folder order, and
// says how many containers were left out by the bound.
func groupContainers(files []string) (list []*container, dropped int) {
	byDir := map[string]*container{}
	for _, name := range files {
		rest, ok := strings.CutPrefix(name, BundleRoot+"/")
		if !ok {
			continue
		}
		uuid, tail, ok := strings.Cut(rest, "/")
		if !ok || uuid == "" {
			continue
		}
		dir := BundleRoot + "/" + uuid
		c := byDir[dir]
		if c == nil {
			if len(list) >= maxContainers {
				dropped++
				byDir[dir] = &container{} // counted once, never read
				continue
			}
			c = &container{dir: dir}
			byDir[dir] = c
			list = append(list, c)
		}
		if c.dir == "" {
			continue
		}
		switch {
		case tail == MetadataFile:
			c.metadata = name
		case tail == ContainerMetadataFile:
			c.containerMD = name
		case strings.HasSuffix(tail, ".app/Info.plist") && strings.Count(tail, "/") == 1:
			c.infoPlists = append(c.infoPlists, name)
		}
	}
	slices.SortFunc(list, func(a, b *container) int { return cmp.Compare(a.dir, b.dir) })
	for _, c := range list {
		slices.Sort(c.infoPlists)
	}
	return list, dropped
}

// runDump reads every bundle container of a file-system dump into one record each,
// sorted by bundle identifier, then container path.
func runDump(ctx context.Context, in *module.Input, out *module.Output) error {
	list, dropped := groupContainers(in.Files)
	if len(list) == 0 {
		return module.ErrNotFound
	}
	var (
		apps     []*App
		problems []string
		reads    int
		failures []error
	)
	for i, c := range list {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		read := func(name string) ([]byte, bool) {
			reads++
			data, err := in.ReadFile(name)
			if err != nil {
				err = fmt.Errorf("read %q: %w", name, err)
				failures = append(failures, err)
				problems = append(problems, err.Error())
				return nil, false
			}
			return data, true
		}
		app, bad := readContainer(c, read)
		apps = append(apps, app)
		problems = append(problems, bad...)
	}
	if reads > 0 && len(failures) == reads {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(failures) == 1 {
			return failures[0]
		}
		return fmt.Errorf("no file of the %d app bundle containers could be read: %w", len(list), errors.Join(failures[:min(len(failures), 5)]...))
	}
	for _, p := range problems {
		out.Problem("%s", p)
	}
	if dropped > 0 {
		out.Problem("%s: %d app bundle containers beyond the first %d were not read", BundleRoot, dropped, maxContainers)
	}
	slices.SortStableFunc(apps, func(a, b *App) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Bundle.Path, b.Bundle.Path))
	})
	return module.Emit(ctx, out, apps)
}

// readContainer reads the files of one container through read (which notes its own
// failures) and returns its record and what it could not decode.
func readContainer(c *container, read func(name string) ([]byte, bool)) (*App, []string) {
	b := &Bundle{Path: "/" + safetext.EscapeInvalid(c.dir)}
	app := &App{Bundle: b}
	var problems []string
	addID := func(id string) {
		if id != "" && !slices.Contains(b.IDs, id) {
			b.IDs = append(b.IDs, id)
		}
	}
	if c.containerMD != "" {
		if data, ok := read(c.containerMD); ok {
			id, bad := containerID(data)
			if bad != "" {
				problems = append(problems, fmt.Sprintf("%s: %s", c.containerMD, bad))
			}
			addID(id)
		}
	}
	if len(c.infoPlists) > 1 {
		var names []string
		for _, p := range c.infoPlists[:min(len(c.infoPlists), 5)] {
			names = append(names, path.Base(path.Dir(p)))
		}
		problems = append(problems, fmt.Sprintf("%s: %d app bundles (%s); only %s was read",
			c.dir, len(c.infoPlists), safetext.EscapeInvalid(strings.Join(names, ", ")), safetext.EscapeInvalid(names[0])))
	}
	if len(c.infoPlists) > 0 {
		name := c.infoPlists[0]
		if data, ok := read(name); ok {
			info, bad := appInfo(data)
			if bad != "" {
				problems = append(problems, fmt.Sprintf("%s: %s", name, bad))
			}
			addID(info.id)
			b.Version = info.version
			b.DisplayName = info.name
			if info.executable != "" {
				b.Executable = "/" + safetext.EscapeInvalid(path.Dir(name)) + "/" + info.executable
			}
		}
	}
	if c.metadata != "" {
		b.MetadataPath = "/" + safetext.EscapeInvalid(c.metadata)
		if data, ok := read(c.metadata); ok {
			md, bad := decodeMetadata(data)
			if bad != "" {
				problems = append(problems, fmt.Sprintf("%s: %s", c.metadata, bad))
			}
			app.Metadata = md
			app.Isodate = timefmt.Of(purchaseDate(md))
		}
	}
	app.Name = app.BundleID()
	if len(b.IDs) > 0 {
		app.Name = b.IDs[0]
	}
	return app, problems
}

// containerID reads MCMMetadataIdentifier from a container metadata plist.
func containerID(data []byte) (id, bad string) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return "", fmt.Sprintf("cannot be decoded: %v", err)
	}
	m, ok := plistx.AsMap(v)
	if !ok {
		return "", fmt.Sprintf("holds %s, want a dictionary", kindOf(v))
	}
	return safetext.EscapeInvalid(plistx.String(m, "MCMMetadataIdentifier")), ""
}

// bundleInfo is what the module keeps of an app's Info.plist.
type bundleInfo struct {
	id, version, name, executable string
}

// appInfo reads an app's Info.plist. An executable name that is not a plain file name
// is left out and noted.
func appInfo(data []byte) (info bundleInfo, bad string) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return info, fmt.Sprintf("cannot be decoded: %v", err)
	}
	m, ok := plistx.AsMap(v)
	if !ok {
		return info, fmt.Sprintf("holds %s, want a dictionary", kindOf(v))
	}
	text := func(keys ...string) string {
		for _, k := range keys {
			if s := safetext.EscapeInvalid(plistx.String(m, k)); s != "" {
				return s
			}
		}
		return ""
	}
	info.id = text("CFBundleIdentifier")
	info.version = text("CFBundleShortVersionString", "CFBundleVersion")
	info.name = text("CFBundleDisplayName", "CFBundleName")
	exe := text("CFBundleExecutable")
	switch {
	case exe == "":
	case exe == "." || exe == ".." || strings.ContainsAny(exe, "/\x00"):
		bad = fmt.Sprintf("CFBundleExecutable %q is not a file name", safetext.Truncate(exe, 80))
	default:
		info.executable = exe
	}
	return info, bad
}

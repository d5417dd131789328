// Package webkitindexeddb lists the web origins that stored IndexedDB data in the web
// views of apps, from the names of WebKit's IndexedDB folders in a file-system dump.
//
// # Artifact
//
// /private/var/mobile/Containers/Data/Application/<UUID>/Library/WebKit/WebsiteData/IndexedDB/
// holds one folder per origin, named "<scheme>_<host>_<port>" (e.g.
// "https_www.example.com_0"); WebKit versions that version the IndexedDB layout put
// them one level down, in IndexedDB/v0/ or IndexedDB/v1/, which are listed too (MVT
// lists only IndexedDB/ itself). Not in iOS backups (app caches are not backed up), so
// the module runs on file-system dumps only.
//
// Time base: isodate is the entry's modification time from the file system (UTC).
//
// # Records
//
// One record per entry whose name starts with "http", ordered by folder and name:
// folder (the listed folder), url (see [webkitfolders.URLOf]), isodate, and the extra
// name (the entry's name). Listing, bounds and the newer hashed layout (not read) are
// described in package webkitfolders.
//
// # MVT
//
// MVT's WebkitIndexedDB (slug webkit_indexeddb), timeline event webkit_indexeddb.
// Fixes: isodate is the entry's own modification time (MVT gives every entry the
// listed folder's time); the v0/v1 sub-folders are listed; one unreadable folder
// makes the module partial instead of stopping it.
package webkitindexeddb

import (
	"context"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/webkitfolders"
)

// Name is the module's slug, MVT's.
const Name = "webkit_indexeddb"

// Roots are the folders whose entries are listed (device paths).
var Roots = []string{
	"private/var/mobile/Containers/Data/Application/*/Library/WebKit/WebsiteData/IndexedDB",
	"private/var/mobile/Containers/Data/Application/*/Library/WebKit/WebsiteData/IndexedDB/v0",
	"private/var/mobile/Containers/Data/Application/*/Library/WebKit/WebsiteData/IndexedDB/v1",
}

var kind = &webkitfolders.Kind{Roots: Roots, Event: "webkit_indexeddb", Label: "IndexedDB folder"}

// Module lists the folders.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Checkable = (*Module)(nil)

// Info implements module.Module. Paths is empty on purpose: the module lists folders,
// which Info.Paths (files only) cannot match; Run finds them and reports the module
// skipped when there is none.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "WebkitIndexedDB",
		Version:     1,
		Description: "Web origins with IndexedDB data in app web views (WebKit IndexedDB folder names)",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return webkitfolders.Run(ctx, in, out, kind)
}

// NewChecker implements module.Checkable: every origin URL is looked up in the
// indicators (CRITICAL).
func (m *Module) NewChecker(env *check.Env) check.Checker { return webkitfolders.NewChecker(env, kind) }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return webkitfolders.Decode(data, kind) }

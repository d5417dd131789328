// Package webkitsafariviewservice lists the web origins whose data SafariViewService
// (the Safari view apps open links in, SFSafariViewController) kept for each app, from
// the names of WebKit's website-data entries in a file-system dump.
//
// # Artifact
//
// /private/var/mobile/Containers/Data/Application/<UUID>/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/
// is listed as MVT does, and so are its IndexedDB/ and LocalStorage/ sub-folders, where
// WebKit actually keeps the per-origin entries ("https_www.example.com_0",
// "https_www.example.com_0.localstorage"); MVT lists only WebsiteData/ itself, whose
// entries are normally the storage-type folders and never start with "http". Not in
// iOS backups, so the module runs on file-system dumps only.
//
// Time base: isodate is the entry's modification time from the file system (UTC).
//
// # Records
//
// One record per entry whose name starts with "http", ordered by folder and name:
// folder (the listed folder), url (see [webkitfolders.URLOf]), isodate, and the extra
// name. No timeline events, as in MVT. Listing, bounds and the newer hashed layout (not
// read) are described in package webkitfolders.
//
// # MVT
//
// MVT's WebkitSafariViewService (slug webkit_safari_view_service). Fixes: the
// IndexedDB/ and LocalStorage/ sub-folders are listed; isodate is the entry's own
// modification time; one unreadable folder makes the module partial.
package webkitsafariviewservice

import (
	"context"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/webkitfolders"
)

// Name is the module's slug, MVT's.
const Name = "webkit_safari_view_service"

// Roots are the folders whose entries are listed (device paths).
var Roots = []string{
	"private/var/mobile/Containers/Data/Application/*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData",
	"private/var/mobile/Containers/Data/Application/*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/IndexedDB",
	"private/var/mobile/Containers/Data/Application/*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/LocalStorage",
}

var kind = &webkitfolders.Kind{Roots: Roots, Event: "", Label: "SafariViewService WebsiteData folder"}

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
		Class:       "WebkitSafariViewService",
		Version:     1,
		Description: "Web origins with website data in SafariViewService (in-app Safari) of each app (WebKit folder names)",
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

package applications

import (
	"github.com/spytrace/spytrace/internal/module"
)

// UnmarshalJSON reads a record written by spytrace or by MVT (see [App]): the
// metadata is every key but the record's own. A record with has_itunes_metadata comes
// from a file-system dump and gets its Bundle back.
func (a *App) UnmarshalJSON(data []byte) error {
	m, err := module.DecodeObject(data)
	if err != nil {
		return err
	}
	*a = App{}
	f := module.Fields{M: m, Struct: "App"}
	a.Name = f.String("name")
	a.IconSHA256 = f.String("icon_sha256")
	a.Isodate = f.Time("isodate")
	if has, ok := m["has_itunes_metadata"].(bool); ok {
		delete(m, "has_itunes_metadata")
		b := &Bundle{
			Path:        f.String("bundle_path"),
			Executable:  f.String("executable"),
			Version:     f.String("app_version"),
			DisplayName: f.String("display_name"),
		}
		if path := f.String("file_path"); has {
			b.MetadataPath = path
		}
		if ids, ok := m["bundle_ids"].([]any); ok {
			delete(m, "bundle_ids")
			for _, id := range ids {
				if s, ok := id.(string); ok {
					b.IDs = append(b.IDs, s)
				}
			}
		}
		a.Bundle = b
	}
	if len(m) > 0 {
		a.Metadata = m
	}
	return f.Err
}

package cachefiles

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. A record of spytrace's list is one
// [Response]. MVT writes one object, cache file → list of responses, which is decoded
// into a []*Response (in path order) with CacheFile set from the key, TimeStamp from
// MVT's isodate (the raw time_stamp text) and ISODate parsed from it.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	var byFile map[string]json.RawMessage
	if json.Unmarshal(data, &byFile) != nil || !mvtForm(byFile) {
		return module.Decode[Response](data)
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	slices.Sort(files)
	var (
		out       []*Response
		fieldErrs error // the first field type error
	)
	for _, f := range files {
		var list []mvtResponse
		err := json.Unmarshal(byFile[f], &list)
		if err != nil && !module.IsFieldTypeError(err) {
			return nil, err
		}
		if fieldErrs == nil {
			fieldErrs = err
		}
		for i := range list {
			resp := &list[i].Response
			resp.CacheFile = f
			if s, ok := list[i].ISODate.(string); ok {
				resp.TimeStamp = s
				if t, ok := parseTimeStamp(s); ok {
					resp.ISODate = timefmt.Of(t)
				}
			}
			out = append(out, resp)
		}
	}
	return out, fieldErrs
}

// mvtResponse is a response as MVT writes it: isodate is time_stamp's raw text.
type mvtResponse struct {
	Response
	ISODate any `json:"isodate"`
}

// mvtForm reports whether the object is MVT's dict of cache files: every value a list.
func mvtForm(obj map[string]json.RawMessage) bool {
	if len(obj) == 0 {
		return false
	}
	for _, v := range obj {
		if v = bytes.TrimSpace(v); len(v) == 0 || v[0] != '[' {
			return false
		}
	}
	return true
}

var _ module.Reloadable = (*Module)(nil)

// checker looks every cached URL up in the indicators, CRITICAL as MVT's level.
type checker struct{ env *check.Env }

// Check implements check.Checker. It takes a *Response, or the []*Response of an MVT
// results file.
func (c *checker) Check(rec any, r *check.Reporter) {
	switch v := rec.(type) {
	case *Response:
		c.check(v, r)
	case []*Response:
		for _, resp := range v {
			c.check(resp, r)
		}
	}
}

func (c *checker) check(resp *Response, r *check.Reporter) {
	if resp == nil || resp.URL == "" {
		return
	}
	c.env.URL(r, alert.Critical, resp.URL, "a response cached in "+resp.CacheFile, resp.ISODate.Time, resp)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

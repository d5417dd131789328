package datausage

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var _ module.Reloadable = (*Module)(nil)

// timeKeys are the record's time keys. MVT writes the raw column (0 or null) for a
// process without a first or last timestamp, and live_isodate is then the same value.
var timeKeys = []string{"first_isodate", "isodate", "live_isodate"}

// DecodeRecord implements module.Reloadable. spytrace's records decode as they are.
// MVT's records lack spytrace's keys and are completed:
//   - a time that is not a time string (MVT's 0) is read as unknown;
//   - process and process_bundle_id are split from proc_name, as when reading the
//     database;
//   - the placeholder MVT writes for a missing process id ("MISSING [follows <name>]",
//     first dated as the process before it) becomes a synthetic record with a gap of
//     that one id, so that the missing-process check sees it (the id of the process
//     before is unknown);
//   - MVT's "MANIPULATED" usage rows (proc_id null, live_proc_id set) are already
//     deleted-process rows.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	rec, err := decodeRecord(data)
	if err != nil {
		// A time that is not one (MVT's 0) stops the decoding: read again without it.
		if clean, ok := withoutBadTimes(data); ok {
			rec, err = decodeRecord(clean)
		}
	}
	if err != nil && !module.IsFieldTypeError(err) {
		return nil, err
	}
	completeMVT(rec)
	return rec, err
}

func decodeRecord(data []byte) (*Record, error) {
	rec := new(Record)
	err := json.Unmarshal(data, rec)
	return rec, err
}

// withoutBadTimes returns the JSON object data with the time keys that do not hold
// null or a time string set to null; ok is false when data is not an object or has no
// such key.
func withoutBadTimes(data []byte) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return nil, false
	}
	changed := false
	for _, k := range timeKeys {
		v, ok := obj[k]
		if !ok || bytes.Equal(v, []byte("null")) {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			if _, err := timefmt.Parse(s); err == nil {
				continue
			}
		}
		obj[k], changed = json.RawMessage("null"), true
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(obj)
	return out, err == nil
}

// completeMVT adds the keys spytrace derives to a record written by MVT. A record of
// spytrace's has them (process or process_bundle_id for every named process record,
// synthetic for a placeholder): it is left as it is.
func completeMVT(r *Record) {
	if r.Synthetic || r.Manipulated() || r.Process != "" || r.ProcessBundleID != "" {
		return
	}
	if prev, ok := mvtMissing(r.ProcName); ok && r.ProcID != nil {
		r.Synthetic = true
		r.Gap = &Gap{
			FirstID: *r.ProcID, LastID: *r.ProcID, Count: 1,
			PrevProcName: prev, PrevFirstIsodate: r.FirstIsodate,
		}
		return
	}
	r.Process, r.ProcessBundleID = splitProcName(r.ProcName)
}

// mvtMissing returns the name in an MVT placeholder's proc_name, "MISSING [follows
// <name>]".
func mvtMissing(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, missingPrefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "]")
}

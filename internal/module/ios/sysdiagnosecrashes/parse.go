package sysdiagnosecrashes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds on hostile input.
const (
	maxHeaderLen = 64 << 10 // the JSON header line
	maxTextLines = 20_000   // lines of a text body searched for its keys
	maxField     = 4 << 10  // longer string values are cut
)

// report is what is read from one .ips file.
type report struct {
	bugType, appName, name, bundleID, osVersion, incidentID string
	timestampRaw                                            string
	timestamp                                               time.Time
	procName, procPath, parentProc                          string
	pid                                                     *int64
	exceptionType, exceptionSignal                          string
	// bodyErr says why the body could not be read (the header fields are kept).
	bodyErr error
}

// ipsHeader is the first line of a report.
type ipsHeader struct {
	AppName    string          `json:"app_name"`
	Name       string          `json:"name"`
	BugType    json.RawMessage `json:"bug_type"` // a string, sometimes a number
	Timestamp  string          `json:"timestamp"`
	OSVersion  string          `json:"os_version"`
	IncidentID string          `json:"incident_id"`
	BundleID   string          `json:"bundleID"`
}

// ipsBody holds the keys read from a JSON body (bug type 309 and later formats).
type ipsBody struct {
	ProcName    string `json:"procName"`
	ProcPath    string `json:"procPath"`
	ParentProc  string `json:"parentProc"`
	PID         *int64 `json:"pid"`
	CaptureTime string `json:"captureTime"`
	Exception   *struct {
		Type   string `json:"type"`
		Signal string `json:"signal"`
	} `json:"exception"`
}

// parseIPS reads a report: a one-line JSON header, then a JSON body or, for the older
// reports (bug type 109 and others), "Key: value" text. A header that cannot be read
// is an error; a body that cannot be read is noted in bodyErr.
func parseIPS(data []byte) (*report, error) {
	line, rest := data, []byte(nil)
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line, rest = data[:i], data[i+1:]
	}
	if len(line) > maxHeaderLen {
		return nil, fmt.Errorf("first line longer than %d bytes (not a crash report header)", maxHeaderLen)
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, errors.New("not a crash report (the first line is not a JSON header)")
	}
	var h ipsHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("not a crash report (bad JSON header: %v)", err)
	}
	r := &report{
		appName:      cut(h.AppName),
		name:         cut(h.Name),
		bundleID:     cut(h.BundleID),
		osVersion:    cut(h.OSVersion),
		incidentID:   cut(h.IncidentID),
		timestampRaw: cut(h.Timestamp),
		bugType:      bugTypeOf(h.BugType),
	}
	r.timestamp = parseTime(h.Timestamp)
	body := bytes.TrimSpace(rest)
	switch {
	case len(body) == 0:
	case body[0] == '{':
		var b ipsBody
		if err := json.Unmarshal(body, &b); err != nil {
			r.bodyErr = fmt.Errorf("bad JSON body: %v", err)
			break
		}
		r.procName, r.procPath, r.parentProc, r.pid = cut(b.ProcName), cut(b.ProcPath), cut(b.ParentProc), b.PID
		if b.Exception != nil {
			r.exceptionType, r.exceptionSignal = cut(b.Exception.Type), cut(b.Exception.Signal)
		}
		if r.timestamp.IsZero() {
			r.timestamp = parseTime(b.CaptureTime)
		}
	default:
		r.readText(body)
	}
	return r, nil
}

// readText reads the keys of a text body: "Process:  name [pid]", "Path:",
// "Parent Process:  name [pid]", "Exception Type:  EXC_… (SIG…)".
func (r *report) readText(body []byte) {
	for n := 0; len(body) > 0 && n < maxTextLines; n++ {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		key, val, ok := strings.Cut(string(line), ":")
		if !ok {
			continue
		}
		val = cut(strings.TrimSpace(val))
		switch strings.TrimSpace(key) {
		case "Process":
			if r.procName == "" {
				name, pid := nameAndPID(val)
				r.procName, r.pid = name, pid
			}
		case "Path":
			if r.procPath == "" {
				r.procPath = val
			}
		case "Parent Process":
			if r.parentProc == "" {
				r.parentProc, _ = nameAndPID(val)
			}
		case "Exception Type":
			if r.exceptionType == "" {
				typ, sig, _ := strings.Cut(val, " ")
				r.exceptionType = typ
				r.exceptionSignal = strings.Trim(strings.TrimSpace(sig), "()")
			}
		case "Date/Time":
			if r.timestamp.IsZero() {
				r.timestamp = parseTime(val)
			}
		}
	}
}

// nameAndPID splits "IMTranscoderAgent [1733]".
func nameAndPID(v string) (string, *int64) {
	i := strings.LastIndex(v, " [")
	if i < 0 || !strings.HasSuffix(v, "]") {
		return v, nil
	}
	pid, err := strconv.ParseInt(v[i+2:len(v)-1], 10, 64)
	if err != nil {
		return v, nil
	}
	return strings.TrimSpace(v[:i]), &pid
}

// bugTypeOf reads bug_type, a JSON string or number.
func bugTypeOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return cut(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// timeLayouts are the forms of a report's dates: "2021-12-08 14:17:36.00 -0500".
var timeLayouts = []string{"2006-01-02 15:04:05.999999999 -0700", "2006-01-02 15:04:05 -0700"}

// parseTime reads a report date with its zone and returns it in UTC (zero when it
// cannot be read or is implausible).
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1971 || t.Year() >= 2200 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	return time.Time{}
}

// cut bounds a string read from the report.
func cut(s string) string {
	if len(s) > maxField {
		return strings.ToValidUTF8(s[:maxField], "")
	}
	return s
}

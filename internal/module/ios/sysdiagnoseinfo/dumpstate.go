package sysdiagnoseinfo

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Dumpstate is what remotectl_dumpstate.txt says about the phone itself (its "Local
// device" block; the blocks of paired devices, "Found …", are left out). Keys are the
// file's.
type Dumpstate struct {
	ProductType string `json:"Product Type,omitempty"` // "iPhone14,2"
	OSBuild     string `json:"OS Build,omitempty"`     // "17.3.1 (21D61)"
	// Properties holds the properties read from the block: ProductType, ProductName,
	// OSVersion, BuildVersion, HWModel, SerialNumber and UniqueDeviceID (backup_info
	// records the serial number and UDID of backups too). The others (ECID, chip
	// identifiers, region…) are not recorded.
	Properties map[string]string `json:"Properties"`
}

// dumpstateKeys are the properties kept.
var dumpstateKeys = map[string]bool{
	"ProductType": true, "ProductName": true, "OSVersion": true, "BuildVersion": true,
	"HWModel": true, "SerialNumber": true, "UniqueDeviceID": true,
}

// Bounds on hostile input.
const (
	maxDumpLines   = 200_000
	maxDumpLineLen = 64 << 10
	maxValueLen    = 256
)

// parseDumpstate reads the Local device block of remotectl_dumpstate.txt: a line
// "Local device", then tab-indented "Key: Value" lines, among them "Properties: {"
// followed by lines "<tab><tab>Key => Value" up to "<tab>}". Over-long lines are
// reported through problem and skipped.
func parseDumpstate(data []byte, problem func(line int, err error)) (*Dumpstate, error) {
	var d *Dumpstate
	inBlock, inProps, done := false, false, false
	n := 0
	for len(data) > 0 && !done {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		n++
		if n > maxDumpLines {
			problem(n, fmt.Errorf("more than %d lines; the rest is not read", maxDumpLines))
			break
		}
		if len(line) > maxDumpLineLen {
			problem(n, fmt.Errorf("line longer than %d bytes", maxDumpLineLen))
			continue
		}
		s := strings.TrimRight(string(line), " \r")
		tabs := len(s) - len(strings.TrimLeft(s, "\t"))
		body := strings.TrimSpace(s)
		switch {
		case body == "":
			continue
		case tabs == 0:
			if inBlock {
				done = true // the next block
				continue
			}
			if body == "Local device" {
				inBlock = true
				d = &Dumpstate{Properties: map[string]string{}}
			}
			continue
		case !inBlock:
			continue
		case tabs == 1:
			inProps = false
			key, val, ok := strings.Cut(body, ":")
			if !ok {
				continue
			}
			val = cleanValue(val)
			switch strings.TrimSpace(key) {
			case "Product Type":
				d.ProductType = val
			case "OS Build":
				d.OSBuild = val
			case "Properties":
				inProps = strings.HasPrefix(val, "{")
			}
		case tabs == 2 && inProps:
			key, val, ok := strings.Cut(body, "=>")
			if !ok {
				continue
			}
			if key = strings.TrimSpace(key); dumpstateKeys[key] {
				if _, seen := d.Properties[key]; !seen {
					d.Properties[key] = cleanValue(val)
				}
			}
		}
	}
	if d == nil {
		return nil, errors.New("no \"Local device\" block")
	}
	return d, nil
}

// cleanValue trims a value, removes the quotes some versions write around it, and
// bounds its length.
func cleanValue(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) > maxValueLen {
		v = strings.ToValidUTF8(v[:maxValueLen], "")
	}
	return safetext.EscapeInvalid(v)
}

// osBuild splits an "OS Build" value, "17.3.1 (21D61)", into version and build.
func osBuild(s string) (version, build string) {
	v, rest, ok := strings.Cut(s, "(")
	if !ok {
		return strings.TrimSpace(s), ""
	}
	b, _, _ := strings.Cut(rest, ")")
	return strings.TrimSpace(v), strings.TrimSpace(b)
}

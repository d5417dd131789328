package ioc

import "bytes"

// PatternLeaves exposes the pattern parser to the external tests: the usable
// comparisons as "key = value" and the problems as "reason: message".
func PatternLeaves(pattern string) (leaves, problems []string, err error) {
	n, err := parsePattern(pattern)
	if err != nil {
		return nil, nil, err
	}
	ls, ps := n.leaves()
	for _, l := range ls {
		leaves = append(leaves, l.path.String()+" = "+l.value)
	}
	for _, p := range ps {
		problems = append(problems, p.reason+": "+p.msg)
	}
	return leaves, problems, nil
}

// LoadBytes is Load for one file held in memory, for fuzzing.
func LoadBytes(name string, data []byte, opts LoadOptions) (*Index, *LoadReport, error) {
	l := newLoader(opts)
	fr, err := l.read(name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	l.report.Files = append(l.report.Files, fr)
	return l.b.Build(), l.report, nil
}

// ScannedObject is what the bundle scanner read from one object.
type ScannedObject struct {
	Type, ID, Name, Description, Pattern, PatternType, ValidUntil string
	Modified, SourceRef, TargetRef                                string
	Revoked                                                       bool
	ObjectRefs                                                    []string
}

// ScanObject reads data, one JSON value, as Load reads an element of "objects".
// bad describes a property of the wrong type, or is "not an object".
func ScanObject(data []byte) (obj ScannedObject, bad string, err error) {
	s := newJSONScanner(bytes.NewReader(data), int64(len(data)))
	c, err := s.peek()
	if err != nil {
		return obj, "", err
	}
	if c != '{' {
		bad, err = "not an object", s.skip()
	} else {
		var o stixObject
		bad, err = readObject(s, &o)
		obj = ScannedObject{o.Type, string(o.ID), o.Name, o.Description, o.Pattern, o.PatternType, o.ValidUntil,
			string(o.Modified), string(o.SourceRef), string(o.TargetRef), o.Revoked, o.ObjectRefs}
	}
	if err != nil {
		return obj, bad, err
	}
	if c, err := s.peek(); err == nil {
		return obj, bad, s.errorf("invalid character %q after top-level value", c)
	}
	return obj, bad, nil
}

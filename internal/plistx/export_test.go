package plistx

// PrescanDepth exposes, to the tests, the nesting depth the pre-scan measures for a
// text-format input: element depth for XML, bracket depth for OpenStep/GNUstep. ok is
// false for binary input and for input the plist library cannot read.
func PrescanDepth(data []byte) (depth int, xml bool, ok bool) {
	if len(data) == 0 || string(data[:min(len(data), 6)]) == "bplist" {
		return 0, false, false
	}
	if sniffXML(data) {
		return xmlDepth(data), true, true
	}
	s := measureText(data)
	return s.maxDepth, false, !s.unreadable
}

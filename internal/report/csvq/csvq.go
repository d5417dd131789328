// Package csvq writes CSV rows the way MVT's timeline files are written: every field
// quoted, embedded quotes doubled, rows ending in "\r\n" as Python's csv module does.
//
// Fields come from evidence, and analysts open these files in spreadsheets. A field that
// a spreadsheet would read as a formula (starting with =, +, -, @, tab or carriage
// return) gets a leading apostrophe, the usual defence against CSV injection; the JSON
// results keep the original text.
package csvq

import "strings"

// AppendRow appends one CSV row of fields to dst.
func AppendRow(dst []byte, fields ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		if Formula(f) {
			dst = append(dst, '\'')
		}
		if strings.IndexByte(f, '"') < 0 {
			dst = append(dst, f...)
		} else {
			dst = append(dst, strings.ReplaceAll(f, `"`, `""`)...)
		}
		dst = append(dst, '"')
	}
	return append(dst, '\r', '\n')
}

// Formula reports whether a spreadsheet could take f for a formula.
func Formula(f string) bool {
	if f == "" {
		return false
	}
	switch f[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

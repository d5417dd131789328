package results

// appendIndented appends src, compact JSON produced by encoding/json, indented like
// json.Indent(dst, src, prefix, "    ") would do it. encoding/json's own Indent
// re-validates every byte with its full scanner and costs twice the marshalling itself;
// records are valid by construction, so a small state machine that only tracks strings
// is enough. Its output is checked against json.Indent in the tests.
func appendIndented(dst, src []byte, prefix string) []byte {
	const indent = "    "
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the whole string, honouring backslash escapes.
			j := i + 1
			for j < len(src) {
				if src[j] == '\\' {
					j += 2
					continue
				}
				if src[j] == '"' {
					break
				}
				j++
			}
			if j >= len(src) {
				j = len(src) - 1
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			// Empty containers stay on one line, as json.Indent writes them.
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

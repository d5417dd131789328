package typedstream

// DecodeAll reads every value group of data with the generic reader (Text stops after
// the string) and returns how many groups it read.
func DecodeAll(data []byte) (int, error) {
	r, err := newReader(data)
	if err != nil {
		return 0, err
	}
	n := 0
	for r.pos < len(r.data) {
		h, err := r.head()
		if err != nil {
			return n, err
		}
		if _, err := r.group(h); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

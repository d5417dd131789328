package backupinfo

// Build decodes data and builds the record with it as each of the root plists, for the
// fuzz target.
func Build(data []byte) []*Info {
	m, err := parse(data)
	if err != nil {
		return nil
	}
	return []*Info{build(m, nil, nil), build(nil, m, nil), build(nil, nil, m), build(m, m, m)}
}

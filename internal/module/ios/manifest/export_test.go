package manifest

// Decode turns a row into a record, for the fuzz target.
func Decode(domain, rel string, blob []byte) (*File, error) {
	res := decode(row{id: "0", domain: domain, rel: rel, flags: int64(1), blob: blob})
	return res.file, res.problem
}

// Hosts exposes hosts to the fuzz target.
var Hosts = hosts

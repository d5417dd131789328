package aqfsettings

// Setting is one setting. MVT keeps a dictionary namespace → {key: value}; spytrace
// writes one record per setting with the same three facts.
type Setting struct {
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	Value     string `json:"value"`
}

package globalpreferences

// Preference is one global setting. The keys are MVT's.
type Preference struct {
	Entry string `json:"entry"` // the setting's name, e.g. "AppleLanguages"
	Value any    `json:"value"` // its value, as plistx.JSONValue writes it
}

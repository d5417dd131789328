package aqfgetprop

// Property is one system property: MVT's {name, value}.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// AcquisitionStarted is acquisition.json's started (RFC 3339, UTC), only on the
	// security patch record: the date the patch level is compared with. Not in MVT.
	AcquisitionStarted string `json:"acquisition_started,omitempty"`
}

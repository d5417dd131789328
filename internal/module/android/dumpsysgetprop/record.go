package dumpsysgetprop

// Property is one system property: MVT's {name, value}.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// BugreportDate is the date of the bug report ("2024-03-14 10:00:00", device wall
	// clock), only on the security patch record: the date the patch level is compared
	// with. Not in MVT.
	BugreportDate string `json:"bugreport_date,omitempty"`
}

package backupinfo

// Info describes the phone and the backup. The first eighteen keys are MVT's, read
// from Info.plist (null when absent); values keep their plist type, with data as base64
// and dates as MVT time strings.
type Info struct {
	BuildVersion          any `json:"Build Version"`
	DeviceName            any `json:"Device Name"`
	DisplayName           any `json:"Display Name"`
	GUID                  any `json:"GUID"`
	ICCID                 any `json:"ICCID"`
	IMEI                  any `json:"IMEI"`
	MEID                  any `json:"MEID"`
	InstalledApplications any `json:"Installed Applications"`
	LastBackupDate        any `json:"Last Backup Date"`
	PhoneNumber           any `json:"Phone Number"`
	ProductName           any `json:"Product Name"`
	ProductType           any `json:"Product Type"`
	ProductVersion        any `json:"Product Version"`
	SerialNumber          any `json:"Serial Number"`
	TargetIdentifier      any `json:"Target Identifier"`
	TargetType            any `json:"Target Type"`
	UniqueIdentifier      any `json:"Unique Identifier"`
	ITunesVersion         any `json:"iTunes Version"`

	// Model is the marketing name of Product Type ("iPhone 13 Pro"), when known.
	Model string `json:"model,omitempty"`
	// Sources lists the root files the record was read from; when Info.plist is
	// missing or unreadable, the MVT keys are filled from Manifest.plist's Lockdown
	// dictionary and the backup dates.
	Sources []string `json:"sources"`
	// Manifest and Status hold what Manifest.plist and Status.plist say about the
	// backup (nil when the file is absent or unreadable).
	Manifest *ManifestInfo `json:"manifest"`
	Status   *StatusInfo   `json:"status"`
}

// ManifestInfo is what Manifest.plist says: the device's iOS version and build at
// backup time (its Lockdown dictionary), whether the backup is encrypted, whether the
// phone had a passcode, and the backup's date.
type ManifestInfo struct {
	ProductType    any `json:"Product Type"`
	ProductVersion any `json:"Product Version"`
	BuildVersion   any `json:"Build Version"`
	IsEncrypted    any `json:"IsEncrypted"`
	WasPasscodeSet any `json:"WasPasscodeSet"`
	Date           any `json:"Date"`
}

// StatusInfo is what Status.plist says: whether the backup was a full one, its date
// and its state.
type StatusInfo struct {
	IsFullBackup any `json:"IsFullBackup"`
	Date         any `json:"Date"`
	BackupState  any `json:"BackupState"`
}

// mvtKeys returns the eighteen MVT keys with the field each fills, in MVT's order.
func (r *Info) mvtKeys() []struct {
	key string
	dst *any
} {
	return []struct {
		key string
		dst *any
	}{
		{"Build Version", &r.BuildVersion}, {"Device Name", &r.DeviceName}, {"Display Name", &r.DisplayName},
		{"GUID", &r.GUID}, {"ICCID", &r.ICCID}, {"IMEI", &r.IMEI}, {"MEID", &r.MEID},
		{"Installed Applications", &r.InstalledApplications}, {"Last Backup Date", &r.LastBackupDate},
		{"Phone Number", &r.PhoneNumber}, {"Product Name", &r.ProductName}, {"Product Type", &r.ProductType},
		{"Product Version", &r.ProductVersion}, {"Serial Number", &r.SerialNumber},
		{"Target Identifier", &r.TargetIdentifier}, {"Target Type", &r.TargetType},
		{"Unique Identifier", &r.UniqueIdentifier}, {"iTunes Version", &r.ITunesVersion},
	}
}

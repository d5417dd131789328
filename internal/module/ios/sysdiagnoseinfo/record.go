package sysdiagnoseinfo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Info describes the phone and the sysdiagnose archive. MVT has no such module; the
// keys follow the EC-DIGIT-CSIRC sysdiagnose framework's case metadata where it has one
// (serial_number, unique_device_id, ios_version, model for the ProductType, date as
// collection_time). Fields are null when no source gives them; Sources names the source
// of each one that is set.
type Info struct {
	// CollectionTime is when the sysdiagnose was taken, in UTC.
	CollectionTime timefmt.Time `json:"collection_time"`
	// CollectionTimeLocal is the same instant on the phone's clock ("2026-03-14
	// 09:26:53"), in the zone of TimezoneOffset.
	CollectionTimeLocal *string `json:"collection_time_local"`
	// TimezoneOffset is the phone's offset from UTC when the sysdiagnose was taken
	// ("+01:00"), TimezoneOffsetSeconds the same in seconds: the zone of the phone's
	// local-time logs.
	TimezoneOffset        *string `json:"timezone_offset"`
	TimezoneOffsetSeconds *int    `json:"timezone_offset_seconds"`
	// Platform ("iPhone-OS") and ModelClass ("iPhone") are the archive name's.
	Platform   *string `json:"platform"`
	ModelClass *string `json:"model_class"`
	// ProductName is the OS name ("iPhone OS"), IOSVersion its version ("17.3.1") and
	// Build its build ("21D61").
	ProductName *string `json:"product_name"`
	IOSVersion  *string `json:"ios_version"`
	Build       *string `json:"build"`
	// Model is the hardware identifier ("iPhone14,2"), ModelName its marketing name
	// ("iPhone 13 Pro") when known, HWModel the board ("D63AP").
	Model     *string `json:"model"`
	ModelName *string `json:"model_name"`
	HWModel   *string `json:"hw_model"`
	// SerialNumber and UniqueDeviceID identify the phone (remotectl_dumpstate.txt), as
	// backup_info records them for a backup.
	SerialNumber   *string `json:"serial_number"`
	UniqueDeviceID *string `json:"unique_device_id"`
	// Sources maps each field that is set to the source it was taken from:
	// "sysdiagnose.log", "archive name", SystemVersionPath or DumpstatePath.
	Sources map[string]string `json:"sources"`
	// Conflicts lists the sources that disagree (also noted as problems).
	Conflicts []string `json:"conflicts"`
	// ArchiveName is what the acquisition's own name says (the archive's top folder, or
	// the base name of the opened archive or folder), LogName what the name
	// sysdiagnose.log records says; null when absent.
	ArchiveName *ArchiveName `json:"archive_name"`
	LogName     *ArchiveName `json:"log_name"`
	// SystemVersion holds SystemVersion.plist's ProductName, ProductVersion and
	// ProductBuildVersion as written (null when the file is absent or unreadable).
	SystemVersion map[string]any `json:"system_version"`
	// RemotectlDumpstate is what remotectl_dumpstate.txt says about the phone.
	RemotectlDumpstate *Dumpstate `json:"remotectl_dumpstate"`
}

// UnmarshalJSON reads the record back from JSON; the values of system_version keep
// every digit of their numbers, so that the record is written again as it was.
func (r *Info) UnmarshalJSON(data []byte) error {
	type plain Info
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode((*plain)(r))
}

// Timeline implements module.Timeliner: sysdiagnose_taken at the collection time.
func (r *Info) Timeline() []module.Event {
	if r.CollectionTime.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.CollectionTime.Time, Event: "sysdiagnose_taken", Data: r.Summary()}}
}

// Summary describes the phone in one line.
func (r *Info) Summary() string {
	var b strings.Builder
	b.WriteString("sysdiagnose taken")
	switch {
	case r.Model != nil && r.ModelName != nil:
		fmt.Fprintf(&b, " on %s (%s)", *r.Model, *r.ModelName)
	case r.Model != nil:
		fmt.Fprintf(&b, " on %s", *r.Model)
	case r.ModelClass != nil:
		fmt.Fprintf(&b, " on %s", *r.ModelClass)
	}
	switch {
	case r.IOSVersion != nil && r.Build != nil:
		fmt.Fprintf(&b, " running iOS %s (%s)", *r.IOSVersion, *r.Build)
	case r.IOSVersion != nil:
		fmt.Fprintf(&b, " running iOS %s", *r.IOSVersion)
	case r.Build != nil:
		fmt.Fprintf(&b, " running build %s", *r.Build)
	}
	if r.CollectionTimeLocal != nil && r.TimezoneOffset != nil {
		fmt.Fprintf(&b, "; phone's clock %s UTC%s", *r.CollectionTimeLocal, *r.TimezoneOffset)
	}
	return b.String()
}

package netusage

import "github.com/spytrace/spytrace/internal/module/ios/datausage"

// Record is datausage's record: MVT's NetBase keys (first_isodate, isodate, proc_name,
// bundle_id, proc_id, wifi_in, wifi_out, wwan_in, wwan_out, live_id, live_proc_id,
// live_isodate) and spytrace's process, process_bundle_id, synthetic and gap.
type Record = datausage.Record

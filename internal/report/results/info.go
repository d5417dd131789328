package results

// SchemaVersion is the version of the layout of info.json and of the results folder.
// It changes when a key is removed or changes meaning.
const SchemaVersion = 1

// Info is the content of info.json. The keys target_path, date, ioc_files and hashes
// are MVT's.
type Info struct {
	SchemaVersion  int              `json:"schema_version"`
	Tool           string           `json:"tool"`
	Version        string           `json:"spytrace_version"`
	Commit         string           `json:"commit,omitempty"`
	Command        string           `json:"command"`
	TargetPath     string           `json:"target_path"`
	Acquisition    map[string]any   `json:"acquisition,omitempty"`
	Date           string           `json:"date"` // UTC, in timefmt.Layout
	FailLevel      string           `json:"fail_level"`
	IOCFiles       []string         `json:"ioc_files"`
	IndicatorFiles []IndicatorFile  `json:"indicator_files"`
	Modules        []ModuleInfo     `json:"modules"`
	Alerts         map[string]int   `json:"alerts"`
	Problems       []map[string]any `json:"problems,omitempty"`
	Interrupted    bool             `json:"interrupted,omitempty"`
	Hashes         []Hash           `json:"hashes"`
}

// IndicatorFile describes one loaded indicator file.
type IndicatorFile struct {
	Path        string         `json:"path"`
	SHA256      string         `json:"sha256"`
	Indicators  int            `json:"indicators"`
	ByType      map[string]int `json:"by_type"`
	Collections []string       `json:"collections"`
	Skipped     map[string]int `json:"skipped,omitempty"`
}

// ModuleInfo is the outcome of one module.
type ModuleInfo struct {
	Name     string   `json:"name"`
	Version  int      `json:"version"`
	Status   string   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Records  int      `json:"records"`
	Alerts   int      `json:"alerts"`
	Problems []string `json:"problems,omitempty"`
	Files    []string `json:"files,omitempty"`
}

// Hash is the SHA-256 of one input file that was read.
type Hash struct {
	FilePath string `json:"file_path"` // on the analyst's machine
	Name     string `json:"name"`      // logical name in the acquisition
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Error    string `json:"error,omitempty"`
}

package aqfprocesses

// Record is one process. The keys from User to Label are MVT's (ps.txt columns, with
// MVT's misspelt "aprocress" for ADDR); the collector's processes.json fields follow,
// and a record from processes.json fills MVT's keys it can (stat = state, label =
// context, proc_name = argv[0] or the kernel name).
type Record struct {
	User              string `json:"user"`
	PID               int64  `json:"pid"`
	PPID              int64  `json:"ppid"`
	VirtualMemorySize *int64 `json:"virtual_memory_size"` // KiB; null for processes.json
	ResidentSetSize   *int64 `json:"resident_set_size"`   // KiB; null for processes.json
	WChan             string `json:"wchan"`
	Aprocress         string `json:"aprocress"` // ADDR (or PC) column
	Stat              string `json:"stat"`
	// ProcName is the name checked against indicators: NAME without the brackets of
	// kernel threads, or argv[0] of processes.json.
	ProcName string `json:"proc_name"`
	Label    string `json:"label"` // SELinux context, when printed

	// Name is NAME as printed (ps text) or the kernel's name of /proc/<pid>/stat
	// (processes.json).
	Name string `json:"name"`

	// processes.json (androidqf collector `ps`).
	UID             *int64   `json:"uid,omitempty"`
	PGroup          *int64   `json:"pgroup,omitempty"`
	PSID            *int64   `json:"psid,omitempty"`
	Filename        string   `json:"filename,omitempty"` // "(name)" of /proc/<pid>/stat
	Priority        *int64   `json:"priority,omitempty"`
	State           string   `json:"state,omitempty"`
	UserTime        *int64   `json:"user_time,omitempty"`
	KernelTime      *int64   `json:"kernel_time,omitempty"`
	Path            string   `json:"path,omitempty"`
	Context         string   `json:"context,omitempty"`
	PreviousContext string   `json:"previous_context,omitempty"`
	CommandLine     []string `json:"command_line,omitempty"`
	Env             []string `json:"env,omitempty"`
	Cwd             string   `json:"cwd,omitempty"`

	// Source is the file the process was read from (ps.txt, processes.txt,
	// processes.json) and Line its line (text) or element number (JSON), from 1.
	Source string `json:"source"`
	Line   int    `json:"line"`
}

// Executables returns the paths the process may have been started from: path,
// argv[0] and NAME when they are absolute paths, without repeats.
func (r *Record) Executables() []string {
	var out []string
	add := func(p string) {
		if len(p) > 1 && p[0] == '/' {
			for _, q := range out {
				if q == p {
					return
				}
			}
			out = append(out, p)
		}
	}
	add(r.Path)
	if len(r.CommandLine) > 0 {
		add(r.CommandLine[0])
	}
	add(r.Name)
	return out
}

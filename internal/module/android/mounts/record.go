package mounts

// Record is one mounted file system. The keys up to IsReadWrite are MVT's.
type Record struct {
	Device            string   `json:"device"`
	MountPoint        string   `json:"mount_point"`
	FilesystemType    string   `json:"filesystem_type"`
	MountOptions      string   `json:"mount_options"`
	OptionsList       []string `json:"options_list"`
	IsSystemPartition bool     `json:"is_system_partition"`
	IsReadWrite       bool     `json:"is_read_write"`
	// Format is the shape of the line it was read from: "mount" or "proc_mounts".
	Format string `json:"format"`
	// Entry is the line's number in mounts.json, from 1 (the first of its copies).
	Entry int `json:"entry"`
}

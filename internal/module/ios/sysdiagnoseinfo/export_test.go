package sysdiagnoseinfo

// ParseDumpstate and NameFromLog expose the text parsers to the fuzz targets.
var (
	ParseDumpstate = parseDumpstate
	NameFromLog    = nameFromLog
)

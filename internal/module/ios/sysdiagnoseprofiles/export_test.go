package sysdiagnoseprofiles

// Parsers exposed to the fuzz target.
var (
	ParseStub           = parseStub
	ParseProfileEvents  = parseProfileEvents
	ParseSettingsEvents = parseSettingsEvents
)

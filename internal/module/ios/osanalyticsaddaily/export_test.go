package osanalyticsaddaily

// Parse exposes parse to the fuzz target.
var Parse = parse

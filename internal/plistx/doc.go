// Package plistx reads property lists and NSKeyedArchiver documents taken from
// evidence, which may have been crafted by the spyware vendor, without panicking,
// looping or exhausting memory; and writes NSKeyedArchiver documents for test
// fixtures.
//
// # Formats
//
// Decode accepts the four property-list formats: binary ("bplist00"), XML, OpenStep
// and GNUstep text. Binary plists are read by a bounded reader of this package,
// because howett.net/plist recurses without a depth limit on nested containers,
// expands shared references exponentially when it builds Go values, and checks for
// cycles in quadratic time. XML, OpenStep and GNUstep are read by howett.net/plist
// after a linear pre-scan that measures what the library is about to do (nesting
// depth, number of containers, cost of escape sequences in text strings) and refuses
// inputs that would overflow the stack or multiply memory; every call into the
// library also recovers the runtime panics the library re-raises and returns them as
// errors.
//
// # NSKeyedArchiver
//
// Unarchive resolves the object graph of an NSKeyedArchiver document ($archiver,
// $objects, $top, with references as UIDs) into plain Go values. It is written here
// because no Go decoder is available from the module proxy. Archive writes the same
// shape as Apple's NSKeyedArchiver (the MBFile blobs of an iOS backup's Manifest.db
// are the main customer) for fixtures and round-trip tests.
//
// # Limits
//
// Limits bounds one decode: the input size and what it may expand to (MaxBytes), the
// nesting depth of containers and references (MaxDepth), and the number of values
// produced from a binary plist or an archive (MaxObjects), where shared references
// could otherwise turn a small input into exponential work. A reference cycle in an
// archive does not loop: it is returned as a {"$ref": uid} marker. Exceeding a limit
// is a *LimitError.
//
// # Values
//
// Decoded values are map[string]any, []any, string, int64 (uint64 only for values
// above math.MaxInt64), float64, bool, []byte, time.Time (UTC), UID and nil. Strings
// are kept as read: bytes that are not valid UTF-8 are not repaired.
// Dates (plist <date> and NSDate's NS.time) count seconds since 2001-01-01 00:00:00
// UTC and are rounded to the microsecond; a date that is not a finite number of a
// plausible size becomes the zero time.Time rather than failing the whole document.
//
// Every function is safe for concurrent use.
package plistx

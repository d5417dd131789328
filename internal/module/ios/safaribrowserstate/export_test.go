package safaribrowserstate

// DecodeLZ4 exposes the Apple LZ4 decoder to the tests of package safaribrowserstate_test.
var DecodeLZ4 = decodeLZ4

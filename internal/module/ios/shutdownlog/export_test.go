package shutdownlog

import (
	"context"
	"io"
)

// Parse exposes the parser to the fuzz target: it returns the records and problems of
// one log.
func Parse(r io.Reader, file string) ([]*Record, []string, error) {
	res, err := parse(context.Background(), r, file, maxRecords)
	if err != nil {
		return nil, nil, err
	}
	return res.records, res.problems, nil
}

// MaxLine is the longest line read.
const MaxLine = maxLine

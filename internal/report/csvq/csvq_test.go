package csvq_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/report/csvq"
)

func TestAppendRow(t *testing.T) {
	row := csvq.AppendRow(nil, "2021-07-18 10:30:15.000000", `say "hi"`, "=HYPERLINK(\"x\")", "+41 79", "multi\nline", "")
	want := `"2021-07-18 10:30:15.000000","say ""hi""","'=HYPERLINK(""x"")","'+41 79","multi` + "\n" + `line",""` + "\r\n"
	if string(row) != want {
		t.Fatalf("row = %q\nwant %q", row, want)
	}
	// Any CSV reader gets the fields back (with the apostrophe on formulas).
	got, err := csv.NewReader(strings.NewReader(string(row))).Read()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2021-07-18 10:30:15.000000", `say "hi"`, `'=HYPERLINK("x")`, "'+41 79", "multi\nline", ""}, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestFormula(t *testing.T) {
	for s, want := range map[string]bool{"=1+1": true, "@SUM(A1)": true, "-2": true, "\tx": true, "safe": false, "": false, "a=b": false} {
		if got := csvq.Formula(s); got != want {
			t.Errorf("Formula(%q) = %v", s, got)
		}
	}
}

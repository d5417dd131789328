package results

import (
	"bytes"
	"encoding/json"
	"testing"
)

func checkIndent(t *testing.T, v any) {
	t.Helper()
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return
	}
	src := bytes.TrimSuffix(compact.Bytes(), []byte("\n"))
	var want bytes.Buffer
	if err := json.Indent(&want, src, "    ", "    "); err != nil {
		t.Fatal(err)
	}
	if got := appendIndented(nil, src, "    "); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("appendIndented(%s):\n%s\nwant:\n%s", src, got, want.Bytes())
	}
}

func TestAppendIndentedMatchesJSONIndent(t *testing.T) {
	for _, v := range []any{
		map[string]any{"a": "x\"y\\", "b": []any{}, "c": map[string]any{}, "d": []any{1, "2", nil, true, map[string]any{"e": "{[,:]}"}}},
		[]any{},
		"plain",
		42,
		map[string]any{"url": "https://x/?a=1&b=<2>", "t": "tab\there", "u": "é\u2028"},
		[]any{[]any{[]any{}}, map[string]any{"": ""}},
	} {
		checkIndent(t, v)
	}
}

func FuzzAppendIndented(f *testing.F) {
	f.Add(`{"a":[1,{"b":"c\"d"}],"e":{}}`)
	f.Add(`["x",[],{}]`)
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			t.Skip()
		}
		checkIndent(t, v)
	})
}

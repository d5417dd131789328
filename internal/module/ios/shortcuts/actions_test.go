package shortcuts

import (
	"encoding/json"
	"strings"
	"testing"

	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/fixture"
)

func TestParseActionsBounds(t *testing.T) {
	// One string with more links than MaxURLs, and many actions repeating them.
	var b strings.Builder
	for i := range MaxURLs + 50 {
		b.WriteString("https://h" + strings.Repeat("x", i%7) + ".example/" + string(rune('a'+i%26)) + " ")
	}
	params := map[string]any{"WFInput": b.String()}
	actions := make([]fixture.ShortcutAction, 30)
	for i := range actions {
		actions[i] = fixture.ShortcutAction{Identifier: "is.workflow.actions.openurl", Parameters: params}
	}
	data, err := fixture.ShortcutActionsData(actions)
	if err != nil {
		t.Fatal(err)
	}
	got, urls, err := parseActions(data)
	if err != nil || len(got) != 30 {
		t.Fatalf("parseActions: %d actions, %v; want 30 and no error", len(got), err)
	}
	if len(urls) > MaxURLs || len(got[0].URLs) > MaxURLs {
		t.Errorf("%d URLs, %d in the first action; want at most %d", len(urls), len(got[0].URLs), MaxURLs)
	}
}

func TestParseActionsNested(t *testing.T) {
	// Deep nesting within the decoder's limits; beyond them the blob is an error.
	var v any = "https://deep.example/x"
	for range 25 { // depth 50, plus 3 for the action array and dictionary
		v = []any{map[string]any{"k": v}}
	}
	data, err := plist.Marshal([]any{map[string]any{"WFWorkflowActionIdentifier": "a", "WFWorkflowActionParameters": v}}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	if _, urls, err := parseActions(data); err != nil || len(urls) != 1 {
		t.Errorf("nested: urls %v, err %v; want the deep URL", urls, err)
	}
	for range 20 {
		v = []any{map[string]any{"k": v}}
	}
	data, err = plist.Marshal([]any{map[string]any{"WFWorkflowActionIdentifier": "a", "WFWorkflowActionParameters": v}}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseActions(data); err == nil || !strings.Contains(err.Error(), "MaxDepth") {
		t.Errorf("too deep: err %v, want a depth limit error", err)
	}
}

// FuzzParseActions checks that any ZDATA blob decodes without panicking, within the
// bounds, into values that JSON can hold.
func FuzzParseActions(f *testing.F) {
	seed, err := fixture.ShortcutActionsData([]fixture.ShortcutAction{
		{Identifier: "is.workflow.actions.openurl", Parameters: map[string]any{"WFInput": map[string]any{"Value": map[string]any{"string": "go https://a.example/x"}}}},
		{Identifier: "is.workflow.actions.downloadurl", Parameters: map[string]any{"WFURL": "https://b.example/", "n": int64(3), "d": []byte{0}}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	xml, _ := plist.Marshal(map[string]any{"WFWorkflowActions": []any{map[string]any{"WFWorkflowActionIdentifier": "x"}}}, plist.XMLFormat)
	f.Add(xml)
	f.Add([]byte("bplist00"))
	f.Add([]byte("(a, {b = c;}, \"https://t.example\")"))
	f.Fuzz(func(t *testing.T, data []byte) {
		actions, urls, _ := parseActions(data)
		if len(urls) > MaxURLs {
			t.Fatalf("%d URLs", len(urls))
		}
		seen := map[string]bool{}
		for _, u := range urls {
			if seen[u] {
				t.Fatalf("URL %q twice", u)
			}
			seen[u] = true
		}
		if _, err := json.Marshal(actions); err != nil {
			t.Fatalf("actions do not marshal: %v", err)
		}
	})
}

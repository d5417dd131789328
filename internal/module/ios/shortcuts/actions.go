package shortcuts

import (
	"fmt"
	"slices"

	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Bounds of the decoding of one ZDATA blob.
const (
	// MaxURLs is the largest number of URLs kept for one shortcut.
	MaxURLs = 1000
	// maxNodes bounds the values visited when looking for URLs in one shortcut.
	maxNodes = 200_000
)

// dataLimits bound the decoding of one ZDATA blob: a real one is a few kilobytes.
var dataLimits = plistx.Limits{MaxBytes: 16 << 20, MaxDepth: 64, MaxObjects: 500_000}

// Action is one action of a shortcut.
type Action struct {
	// Identifier is WFWorkflowActionIdentifier, e.g. "is.workflow.actions.openurl".
	Identifier string `json:"identifier"`
	// Parameters is WFWorkflowActionParameters as JSON values (data in base64, dates as
	// MVT time strings); null when absent.
	Parameters any `json:"parameters"`
	// URLs are the URLs found in the parameters.
	URLs []string `json:"urls"`
}

// parseActions decodes a ZDATA blob: a property list holding an array of action
// dictionaries, or a dictionary whose WFWorkflowActions key holds that array (an
// exported .shortcut). It returns the actions it could read, the URLs found in them
// (de-duplicated, at most MaxURLs) and, when the blob or some action could not be read,
// an error saying why. An empty blob (NULL) is no action and no error.
func parseActions(data []byte) ([]Action, []string, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	v, err := plistx.Decode(data, dataLimits)
	if err != nil {
		return nil, nil, err
	}
	if m, ok := v.(map[string]any); ok {
		if list, ok := m["WFWorkflowActions"]; ok {
			v = list
		}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("the property list holds %s, not an array of actions", kind(v))
	}
	var (
		actions []Action
		all     []string
		seen    = map[string]bool{}
		bad     []string
		budget  = maxNodes
	)
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			bad = append(bad, fmt.Sprintf("action %d is %s, not a dictionary", i+1, kind(e)))
			continue
		}
		id, ok := m["WFWorkflowActionIdentifier"].(string)
		if !ok {
			bad = append(bad, fmt.Sprintf("action %d has no identifier", i+1))
		}
		params := m["WFWorkflowActionParameters"]
		a := Action{Identifier: safetext.EscapeInvalid(id), Parameters: plistx.JSONValue(params), URLs: []string{}}
		for _, u := range findURLs(params, &budget) {
			a.URLs = append(a.URLs, u)
			if !seen[u] && len(all) < MaxURLs {
				seen[u] = true
				all = append(all, u)
			}
		}
		actions = append(actions, a)
	}
	if budget <= 0 {
		bad = append(bad, fmt.Sprintf("more than %d values: URLs were not looked for in the rest", maxNodes))
	}
	switch len(bad) {
	case 0:
		return actions, all, nil
	case 1:
		return actions, all, fmt.Errorf("%s", bad[0])
	}
	return actions, all, fmt.Errorf("%s (and %d more problems)", bad[0], len(bad)-1)
}

// findURLs returns the links in the strings of v (values, not dictionary keys), in a
// stable order (dictionaries by key), de-duplicated. It visits at most *budget values
// and decreases it by the number visited.
func findURLs(v any, budget *int) []string {
	var out []string
	seen := map[string]bool{}
	stack := []any{v}
	for len(stack) > 0 && *budget > 0 && len(out) < MaxURLs {
		*budget--
		n := len(stack) - 1
		cur := stack[n]
		stack = stack[:n]
		switch x := cur.(type) {
		case string:
			for _, u := range urlx.Extract(x) {
				u = safetext.EscapeInvalid(u)
				if !seen[u] {
					seen[u] = true
					out = append(out, u)
				}
			}
		case []any:
			for i := len(x) - 1; i >= 0; i-- {
				stack = append(stack, x[i])
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for i := len(keys) - 1; i >= 0; i-- {
				stack = append(stack, x[keys[i]])
			}
		}
	}
	if len(out) > MaxURLs {
		out = out[:MaxURLs]
	}
	return out
}

// kind names the type of a decoded plist value for messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case map[string]any:
		return "a dictionary"
	case []any:
		return "an array"
	case string:
		return "a string"
	case []byte:
		return "data"
	case int64, uint64, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("a %T", v)
}

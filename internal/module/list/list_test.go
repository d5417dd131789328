package list_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/list"
)

var validName = regexp.MustCompile(`^[a-z0-9_]+$`)

// TestRegistry guards the registry: unique valid names, a class and a description,
// declared paths, existing requirements, and a row in docs/modules.md.
func TestRegistry(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/modules.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	kinds := map[string][]acquire.Kind{} // a name may serve two platforms (MVT's "sms"), never one kind twice
	for _, m := range list.All() {
		info := m.Info()
		if !validName.MatchString(info.Name) {
			t.Errorf("module name %q does not match %s", info.Name, validName)
		}
		for _, k := range info.Kinds {
			if slices.Contains(kinds[info.Name], k) {
				t.Errorf("module %q registered twice for %s", info.Name, k)
			}
		}
		kinds[info.Name] = append(kinds[info.Name], info.Kinds...)
		seen[info.Name] = true
		if info.Class == "" || info.Description == "" || info.Version < 1 || len(info.Kinds) == 0 {
			t.Errorf("module %q: incomplete Info %+v", info.Name, info)
		}
		if !strings.Contains(string(doc), "`"+info.Name+"`") {
			t.Errorf("module %q has no row in docs/modules.md", info.Name)
		}
	}
	for _, m := range list.All() {
		for _, dep := range m.Info().Requires {
			if !seen[dep] {
				t.Errorf("module %q requires unknown module %q", m.Info().Name, dep)
			}
		}
	}
}

func TestResolve(t *testing.T) {
	all, err := list.Resolve(acquire.IOSBackup, nil)
	if err != nil || len(all) != len(list.ForKind(acquire.IOSBackup)) {
		t.Fatalf("Resolve(nil) = %d modules, %v", len(all), err)
	}
	got, err := list.Resolve(acquire.IOSBackup, []string{"tcc", "sms"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Info().Name != "sms" || got[1].Info().Name != "tcc" {
		t.Errorf("Resolve kept %v, want registry order sms, tcc", names(got))
	}
	if g, err := list.Resolve(acquire.IOSBackup, []string{"ios/backup"}); err != nil || len(g) != len(all) {
		t.Errorf("group ios/backup = %d modules, %v", len(g), err)
	}
	if _, err := list.Resolve(acquire.IOSBackup, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "sms") {
		t.Errorf("unknown module error = %v, want the list of valid names", err)
	}
}

func names(ms []module.Module) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Info().Name)
	}
	return out
}

// TestEveryCheckedModuleReloads guards check-iocs: a module with checks must read its
// records back from a results folder, or re-checking an old case would skip it.
func TestEveryCheckedModuleReloads(t *testing.T) {
	n := 0
	for _, m := range list.All() {
		if _, ok := m.(module.Checkable); !ok {
			continue
		}
		n++
		if _, ok := m.(module.Reloadable); !ok {
			t.Errorf("%s has checks but does not implement module.Reloadable", m.Info().Name)
		}
	}
	if n < 50 {
		t.Errorf("only %d modules with checks", n)
	}
}

// Package appdirs says where spytrace keeps its own data on the analyst's machine: the
// indicator files downloaded or copied there are loaded by every check.
//
//	Linux and other Unix: $XDG_DATA_HOME/spytrace, else ~/.local/share/spytrace
//	macOS:                ~/Library/Application Support/spytrace
//	Windows:              %LocalAppData%\spytrace
//
// SPYTRACE_DATA_DIR overrides all of these (tests use it to stay away from the user's
// folder).
package appdirs

import (
	"errors"
	"path/filepath"
	"runtime"
)

// DataDir returns spytrace's data folder. getenv is os.Getenv in production.
func DataDir(getenv func(string) string, home string) (string, error) {
	if d := getenv("SPYTRACE_DATA_DIR"); d != "" {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "spytrace"), nil
		}
	case "darwin":
		if home != "" {
			return filepath.Join(home, "Library", "Application Support", "spytrace"), nil
		}
	default:
		if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "spytrace"), nil
		}
		if home != "" {
			return filepath.Join(home, ".local", "share", "spytrace"), nil
		}
	}
	return "", errors.New("no data folder: set SPYTRACE_DATA_DIR")
}

// IndicatorsDir returns the folder of indicator files inside the data folder.
func IndicatorsDir(getenv func(string) string, home string) (string, error) {
	d, err := DataDir(getenv, home)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "indicators"), nil
}

package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/timeline"
)

// Folder is a results folder read back, for the writers that render a run again
// (report.html, exports) without the evidence.
type Folder struct {
	Dir  string
	Info Info
	// Alerts are alerts.json's, in its order; each Event is the record as generic JSON.
	Alerts []alert.Alert
}

// Limits of what Load reads whole.
const (
	maxInfoBytes   = 256 << 20
	maxAlertsBytes = 1 << 30
)

// Load reads info.json and alerts.json of the results folder dir. A folder without
// info.json is not a results folder of spytrace; alerts.json may be absent (no alert).
func Load(dir string) (*Folder, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open results folder %q: %w", dir, err)
	}
	defer root.Close()
	f := &Folder{Dir: dir}
	data, err := ReadFile(root, "info.json", maxInfoBytes)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", "info.json", err)
	}
	if err := json.Unmarshal(data, &f.Info); err != nil {
		return nil, fmt.Errorf("read %q: %w", "info.json", err)
	}
	data, err = ReadFile(root, "alerts.json", maxAlertsBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %q: %w", "alerts.json", err)
	default:
		if err := json.Unmarshal(data, &f.Alerts); err != nil {
			return nil, fmt.Errorf("read %q: %w", "alerts.json", err)
		}
	}
	return f, nil
}

// Timeline streams the events of timeline.csv to fn; a folder without one has none.
func (f *Folder) Timeline(fn func(timeline.Event) error) error {
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	file, err := root.Open("timeline.csv")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer file.Close()
	return timeline.Read(file, fn)
}

// ReadFile reads a regular file of root whole, up to max bytes: results folders are
// read back by tools that must not trust them (a link, a device or a huge file is an
// error).
func ReadFile(root *os.Root, name string, max int64) ([]byte, error) {
	file, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if fi, err := file.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(file, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

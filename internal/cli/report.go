package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/report/html"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/stixexport"
	"github.com/spytrace/spytrace/internal/report/timesketch"
	"github.com/spytrace/spytrace/internal/safetext"
)

// ReportFile is the name of the HTML report in a results folder.
const ReportFile = "report.html"

// writeReport renders the report of the results folder dir into the file path.
func writeReport(dir, path string, opts html.Options) error {
	f, err := results.Load(dir)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { return html.Write(w, f, opts) }); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// writeFileAtomic writes a file through fill into a temporary file beside path, then
// renames it over path, so that a reader never sees half a file.
func writeFileAtomic(path string, fill func(w io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if err := fill(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

const reportLong = `Render the HTML report of a results folder again (every check already writes
report.html into its results folder).

The report is one file that works offline in any browser and makes no network request:
a verdict that says plainly what was and was not found, the alerts by severity with what
each means, how it can be innocent and what to do next, the timeline around each alert
(filterable), the device and acquisition facts, what every module did, and the hashes of
the evidence files.

--redact hides message texts, names of people, phone numbers and e-mail addresses (not
the matched indicators, which are public), so that the report can be shared; it is
written to report-redacted.html unless --output says otherwise.`

const reportExample = `  # Render the report of a results folder again
  spytrace report results/

  # A redacted report to share with a helpline
  spytrace report --redact results/

  # Somewhere else
  spytrace report --redact -o /tmp/case-12.html results/`

func (e *env) reportCommand() *cobra.Command {
	var redact bool
	var output string
	cmd := &cobra.Command{
		Use:     "report [flags] RESULTS",
		Short:   "Render the HTML report of a results folder",
		Long:    reportLong,
		Example: reportExample,
		Args:    exactArgs(1, "one results folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			name := ReportFile
			if redact {
				name = "report-redacted.html"
			}
			path := filepath.Join(dir, name)
			if output != "" {
				path = output
			}
			if err := writeReport(dir, path, html.Options{Redact: redact}); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "spytrace: report in %s\n", safetext.Terminal(path))
			return nil
		},
	}
	cmd.Flags().BoolVar(&redact, "redact", false, "hide message texts, names, phone numbers and e-mail addresses")
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (default RESULTS/report.html, or RESULTS/report-redacted.html with --redact)")
	_ = cmd.MarkFlagFilename("output", "html")
	return cmd
}

const exportLong = `Export a results folder for the tools analysts already use.

timesketch writes the timeline and the alerts as Timesketch JSONL (message, datetime,
timestamp in microseconds, timestamp_desc, plus the module and, for alerts, the level,
check and matched indicator); events without a known time are left out and counted.

stix writes a STIX 2.1 bundle of sightings of the matched indicators (OpenCTI, MISP): the
indicators, one sighting of each with its first and last time and count, and an identity
for the examined device. It holds no message or record content, only the matched values.

The file goes into the results folder unless --output says otherwise.`

const exportExample = `  # Timesketch: then import results/timeline.jsonl into a sketch
  spytrace export timesketch results/

  # STIX 2.1 sightings for OpenCTI or MISP
  spytrace export stix -o case-12-sightings.json results/`

func (e *env) exportCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:       "export [flags] timesketch|stix RESULTS",
		Short:     "Export a results folder as Timesketch JSONL or STIX 2.1 sightings",
		Long:      exportLong,
		Example:   exportExample,
		ValidArgs: []string{"timesketch", "stix"},
		Args:      exactArgs(2, "a format (timesketch or stix) and one results folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, dir := args[0], args[1]
			f, err := results.Load(dir)
			if err != nil {
				return err
			}
			var name string
			var write func(w io.Writer) error
			var said string
			switch format {
			case "timesketch":
				name = "timeline.jsonl"
				write = func(w io.Writer) error {
					st, err := timesketch.Write(w, f)
					said = fmt.Sprintf("%d events and %d alerts", st.Events, st.Alerts)
					if n := st.EventsWithoutTime + st.AlertsWithoutTime; n > 0 {
						said += fmt.Sprintf(" (%d without a known time left out)", n)
					}
					return err
				}
			case "stix":
				name = "sightings.stix2"
				write = func(w io.Writer) error {
					st, err := stixexport.Write(w, f, stixexport.Options{})
					said = fmt.Sprintf("%d sightings of %d indicators (%d matches)", st.Sightings, st.Indicators, st.Matches)
					if st.Unexportable > 0 {
						said += fmt.Sprintf("; %d matches of types STIX cannot express left out", st.Unexportable)
					}
					return err
				}
			default:
				return usagef("unknown export format %q: want timesketch or stix", format)
			}
			path := filepath.Join(dir, name)
			if output != "" {
				path = output
			}
			if err := writeFileAtomic(path, write); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			fmt.Fprintf(e.stderr, "spytrace: %s in %s\n", said, safetext.Terminal(path))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (default RESULTS/timeline.jsonl or RESULTS/sightings.stix2)")
	return cmd
}

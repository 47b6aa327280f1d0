package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/rigsync/rigsync/internal/progress"
)

// exactArgs is cobra.ExactArgs reported as a usage error (exit code 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s: expected %d argument(s), got %d (see --help)", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs reported as a usage error.
func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError{fmt.Errorf("%s: expected at least %d argument(s), got %d (see --help)", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}

// writeJSON writes v as indented JSON: the --json output of every
// command.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newProgress starts a bar counting messages; max < 0 means an unknown
// total (a spinner).
func newProgress(g *globalOptions, what string, max int64) *progress.Bar {
	return newUnitProgress(g, what, "msg", max)
}

// newUnitProgress starts a bar counting unit ("frames", "s") on stderr
// when it is a terminal and the user did not ask for quiet or JSON
// output; max < 0 means an unknown total (a spinner).
func newUnitProgress(g *globalOptions, what, unit string, max int64) *progress.Bar {
	return progress.New(g.progressTTY(), what, unit, max)
}

// newSecondsProgress starts a bar counting the seconds of a simulated
// duration d (whole seconds, rounded up); feed it with SetNS.
func newSecondsProgress(g *globalOptions, what string, d time.Duration) *progress.Bar {
	return progress.NewSeconds(g.progressTTY(), what, d)
}

// progressTTY is stderr when progress may be shown on it: not quiet, not
// JSON, and a file (progress shows it only on a terminal).
func (g *globalOptions) progressTTY() *os.File {
	if f, ok := g.rawStderr.(*os.File); ok && !g.Quiet && !g.JSON {
		return f
	}
	return nil
}

// stderrIsTerminal reports whether stderr is a terminal.
func (g *globalOptions) stderrIsTerminal() bool { return isTerminal(g.rawStderr) }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// logsHelp says which log formats a command reads; it ends the Long help
// of every command that takes a LOG.
const logsHelp = `Logs: LOG is an MCAP file, a ROS 1 bag (format 2.0: uncompressed, bz2 or lz4
chunks, indexed or not, a cut bag read up to its last complete chunk) or a
rosbag2 bag (a folder with metadata.yaml and its storage files, SQLite .db3
or MCAP, split or zstd-compressed; or a single .db3). The format is told from
the content, never from the name. A bag's warnings (what was lost, where;
a definition taken from rigsync's bundled ROS 2 .msg files) are reported
like an MCAP file's damage.`

// addSelectionFlags adds --start, --end, --sensors and --exclude (see
// selectionHelp).
func addSelectionFlags(f *pflag.FlagSet, start, end *string, sensors, exclude *[]string) {
	f.StringVar(start, "start", "", "first log time read: ns, seconds with '.', or +DURATION from the log's first message (+10s)")
	f.StringVar(end, "end", "", "end log time, exclusive (same forms as --start)")
	f.StringSliceVar(sensors, "sensors", nil, "only these sensors: topic, sensor (frame id) or the topic's first path element (cam_front)")
	f.StringSliceVar(exclude, "exclude", nil, "leave these sensors out (same names as --sensors)")
}

// selectionHelp explains --start/--end and --sensors/--exclude.
const selectionHelp = `Selection: --start/--end bound the log times read (ns, seconds with a '.',
or +DURATION after the log's first message: --start +10s --end +20s); the
window is read through the log's index (MCAP chunk index, ROS 1 bag chunk
index, rosbag2 timestamp index), so 10 s of a 1 h log cost about 10 s of
reading. --sensors keeps only the named sensors and --exclude leaves some
out; a name is a topic, a sensor (frame id) or a topic's first path element
(cam_front: /cam_front/image_raw/compressed and /cam_front/camera_info). A
name that matches nothing is a usage error (exit 2).`

// Command rigsync turns raw multisensor robot and vehicle logs into
// synchronized, calibrated, annotation-ready frames.
//
// Exit codes (stable, for scripts):
//
//	0  success
//	1  an error (bad input, I/O failure)
//	2  usage error (bad flags or arguments)
//	3  the command ran but found problems it was asked to gate on
//	4  calib check: a sensor pair is miscalibrated; labels check: a box is wrong
//	130  interrupted (SIGINT or SIGTERM; 128 + SIGINT, as shells report it)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/internal/app/catapp"
	"github.com/rigsync/rigsync/internal/app/checkapp"
	"github.com/rigsync/rigsync/internal/app/fixturesapp"
	"github.com/rigsync/rigsync/internal/app/fleetapp"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/app/infoapp"
	"github.com/rigsync/rigsync/internal/app/labelsapp"
	"github.com/rigsync/rigsync/internal/app/liveapp"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/app/recordapp"
	"github.com/rigsync/rigsync/internal/app/syncapp"
	"github.com/rigsync/rigsync/internal/textsafe"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitProblems = 3
	// exitMiscalibrated: "calib check" found a miscalibrated pair (3 there
	// means suspicious, none miscalibrated).
	exitMiscalibrated = 4
	// exitInterrupted: SIGINT or SIGTERM stopped the command (a command
	// that ends cleanly on them, as record and live do, exits 0).
	exitInterrupted = 130
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	JSON  bool
	Quiet bool

	// stdout and stderr escape what they carry (textsafe): names from a
	// log or a calibration file cannot drive the terminal. rawStderr is
	// the stream itself, for the terminal checks and progress bars.
	stdout    io.Writer
	stderr    io.Writer
	rawStderr io.Writer
}

// usageError marks an error as the user's invocation being wrong.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// problemsError means the command completed but reports problems (exit 3).
type problemsError struct{ n int }

func (e problemsError) Error() string { return fmt.Sprintf("%d problem(s) found", e.n) }

func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "rigsync",
		Short: "Synchronize, calibrate and fuse multisensor robot logs",
		Long: `rigsync turns raw multisensor robot and vehicle logs (MCAP: ROS 2 CDR, ROS 1,
Foxglove protobuf/JSON) into synchronized, calibrated, annotation-ready frames.

Start with:
  rigsync demo                 generate a synthetic drive log and inspect it
  rigsync info LOG.mcap        what sensors a log holds and how healthy their stamps are
  rigsync cat LOG.mcap         every decoded message, one JSON object per line

Conventions: times are int64 nanoseconds on a named clock ("log" = MCAP
log_time, "sensor:<frame_id>" = a sensor's header stamps); transforms are
T_parent_child; quaternions are stated with their order at every boundary.

Exit codes: 0 ok, 1 error, 2 usage error, 3 problems found (with --strict),
130 interrupted (Ctrl-C or SIGTERM: every command stops within a second and
leaves no partial output under its final name).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.PersistentFlags().BoolVar(&g.JSON, "json", false, "machine-readable JSON output")
	root.PersistentFlags().BoolVarP(&g.Quiet, "quiet", "q", false, "no progress output on stderr")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newInfoCommand(g),
		newCatCommand(g),
		newDemoCommand(g),
		newFixturesCommand(g),
		newSyncCommand(g),
		newFuseCommand(g),
		newCalibCommand(g),
		newCalibRigCommand(g), // also top level: "rigsync rig init LOG.mcap"
		newRecordCommand(g),
		newLiveCommand(g),
		newFleetCommand(g),
		newLabelsCommand(g),
	)
	setupContract(root, g)
	return root
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out, errw := textsafe.NewWriter(stdout), textsafe.NewWriter(stderr)
	errw.ClearLine = isTerminal(stderr) // the status lines of live and record
	defer out.Flush()
	defer errw.Flush()
	g := &globalOptions{stdout: out, stderr: errw, rawStderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(errw, "rigsync: interrupted")
		return exitInterrupted
	}
	fmt.Fprintln(errw, "rigsync:", err)
	return exitCode(err)
}

// exitCode maps a command's error to the exit code: the one place that
// knows which error types mean what.
func exitCode(err error) int {
	switch {
	case isAny[usageError](err), isAny[fuseapp.UsageError](err), isAny[syncapp.UsageError](err), isAny[*syncapp.TopicError](err),
		isAny[catapp.UsageError](err), isAny[recordapp.UsageError](err),
		isAny[liveapp.UsageError](err), isAny[fixturesapp.UsageError](err), isAny[checkapp.UsageError](err), isAny[infoapp.UsageError](err),
		isAny[fleetapp.UsageError](err), isAny[labelsapp.UsageError](err):
		return exitUsage
	case isAny[problemsError](err), isAny[fuseapp.ProblemsError](err), isAny[infoapp.ProblemsError](err), isAny[fleetapp.GateError](err), isAny[losses.StrictError](err):
		return exitProblems
	case isAny[calibrationError](err), isAny[labelsWrongError](err):
		return exitMiscalibrated
	}
	return exitError
}

// isAny reports whether err's chain holds an E.
func isAny[E error](err error) bool {
	_, ok := errors.AsType[E](err)
	return ok
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Command rigsync-beam runs rigsync's per-log fleet work ("rigsync fleet
// scan") as an Apache Beam pipeline (Go SDK), so that a fleet of logs can
// be analysed on many machines: on Beam's embedded Prism runner by
// default (in-process, no services), or on Flink, Spark or Dataflow with
// the usual Beam flags (--runner, --endpoint, --environment_type,
// --project, ...).
//
// It lives in its own Go module (cmd/rigsync-beam/go.mod) so that the
// core rigsync binary and the root module's "go test ./..." never see
// Beam and its dependencies.
//
// Each log is analysed by the same library call as "rigsync fleet scan"
// (fleetapp.AnalyzeLog); the coverage is a Beam combiner over
// fleet.Coverage; one final step writes the same four files
// (fleetapp.WriteOutputs) plus dead.jsonl, the logs the pipeline could
// not process (a remote copy that failed, a panic in the analysis).
//
// Exit codes (stable, for scripts):
//
//	0  success: every log passed or warned
//	1  an error (the pipeline could not be built, submitted or run; I/O)
//	2  usage error (bad flags or arguments)
//	3  the run completed but a log failed the gate or was dead-lettered
//
// When a runner starts this binary as a Beam worker (--worker --id ...
// --control_endpoint ...), main hands it to Beam's harness before the
// command line is parsed as a rigsync command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitProblems = 3
)

// usageError marks an error as the user's invocation being wrong (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// problemsError means the run completed but a log failed the gate or was
// dead-lettered (exit 3).
type problemsError struct{ msg string }

func (e problemsError) Error() string { return e.msg }

func main() {
	if isWorkerInvocation(os.Args[1:]) {
		// A runner started this binary as an SDK worker: Beam's own
		// flags only, and beam.Init runs the harness and exits.
		flag.Parse()
		beam.Init()
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// isWorkerInvocation reports whether args are a Beam worker invocation
// (the --worker flag of Beam's harness, in any of Go's flag spellings).
func isWorkerInvocation(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		switch a {
		case "-worker", "--worker", "-worker=true", "--worker=true":
			return true
		}
	}
	return false
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "rigsync-beam:", err)
	var ue usageError
	var pe problemsError
	switch {
	case errors.As(err, &pe):
		return exitProblems
	case errors.As(err, &ue), isCobraUsage(err):
		return exitUsage
	default:
		return exitError
	}
}

// isCobraUsage recognises cobra's own argument and flag errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "required flag", "accepts ", "requires at least"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

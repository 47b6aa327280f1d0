package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
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

// progress is a progress bar on stderr when stderr is a terminal and the
// user did not ask for quiet or JSON output; otherwise it does nothing but
// keep its count. With a known total the bar shows done/total in its unit,
// the rate and the estimated time left.
type progress struct {
	bar *progressbar.ProgressBar
	// max and n are the total (< 0: unknown) and the amount done, in the
	// bar's unit, kept whether or not a bar is shown.
	max, n int64
}

// newProgress starts a bar counting messages; max < 0 means an unknown
// total (a spinner).
func newProgress(g *globalOptions, what string, max int64) *progress {
	return newUnitProgress(g, what, "msg", max)
}

// newUnitProgress starts a bar counting unit ("frames", "s"); max < 0
// means an unknown total (a spinner).
func newUnitProgress(g *globalOptions, what, unit string, max int64) *progress {
	p := &progress{max: max}
	f, ok := g.stderr.(*os.File)
	if g.Quiet || g.JSON || !ok || !term.IsTerminal(int(f.Fd())) {
		return p
	}
	p.bar = progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetPredictTime(max > 0),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// newSecondsProgress starts a bar counting the seconds of a simulated
// duration d (whole seconds, rounded up); feed it with SetNS.
func newSecondsProgress(g *globalOptions, what string, d time.Duration) *progress {
	return newUnitProgress(g, what, "simulated s", secondsCeil(int64(d)))
}

// secondsCeil is ns in whole seconds, rounded up.
func secondsCeil(ns int64) int64 { return (ns + int64(time.Second) - 1) / int64(time.Second) }

// SetNS reports progress through a simulated time: done of total
// nanoseconds, shown as seconds.
func (p *progress) SetNS(done, total int64) {
	p.SetTotal(secondsCeil(total))
	if done >= total {
		p.Set(p.max)
		return
	}
	p.Set(done / int64(time.Second))
}

// Set reports the amount done so far.
func (p *progress) Set(n int64) {
	p.n = n
	if p.bar != nil {
		_ = p.bar.Set64(n)
	}
}

// SetTotal changes the total (when it becomes known).
func (p *progress) SetTotal(n int64) {
	p.max = n
	if p.bar != nil && p.bar.GetMax64() != n {
		p.bar.ChangeMax64(n)
	}
}

// Finish removes the bar.
func (p *progress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

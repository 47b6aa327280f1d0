// Package infoapp runs "rigsync info": it opens one log (MCAP, ROS 1 bag
// or rosbag2, formats/logfile), inspects it
// (formats/inspect: channels, stamps, TF tree, camera calibrations,
// problems) and returns the report; WriteText writes it as the command's
// text (cmd/rigsync picks text or JSON).
package infoapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Options are the settings of one info run (the flags of "rigsync info").
type Options struct {
	// Strict makes any problem found an error (a ProblemsError, returned
	// with the report).
	Strict bool
	// MaxScan is inspect.Options.MaxScanBytes: logs up to this many bytes
	// are read in full (-1: always).
	MaxScan int64
	// Progress, if not nil, starts the progress display of reading the
	// log (stage "reading", in msg, total unknown: -1).
	Progress func(stage, unit string, total int64) Progress
	// Window (--start/--end) and Sensors (--sensors/--exclude) report
	// only those times and topics, read through the log's index.
	Window  logfile.Window
	Sensors logfile.Selection
}

// UsageError is a --start/--end or --sensors/--exclude value that does
// not fit the log (the command's exit code 2).
type UsageError struct{ Err error }

// Error is the wrapped error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e UsageError) Unwrap() error { return e.Err }

// Progress is a stage's progress display, fed by Run.
type Progress interface {
	// Set reports the amount done so far.
	Set(n int64)
	// Finish ends the display.
	Finish()
}

// ProblemsError means the log was read but Options.Strict fails the run
// on the N problems its report lists (the command's exit code 3).
type ProblemsError struct{ N int }

// Error says how many problems were found.
func (e ProblemsError) Error() string { return fmt.Sprintf("%d problem(s) found", e.N) }

// Run inspects the log at path. With o.Strict and problems found it
// returns the report and a ProblemsError; any other error comes without a
// report.
func Run(ctx context.Context, o Options, path string) (*inspect.Report, error) {
	r, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var sel mcapread.Options
	if sel.Start, sel.End, err = o.Window.Resolve([]*logfile.Log{r}); err != nil {
		return nil, UsageError{err}
	}
	if !o.Sensors.Empty() {
		if unknown := o.Sensors.Unknown([]*logfile.Log{r}, nil); len(unknown) > 0 {
			return nil, UsageError{fmt.Errorf("--sensors/--exclude %s: not a topic or sensor of %s", strings.Join(unknown, ", "), path)}
		}
		for _, t := range r.Catalog() {
			if o.Sensors.Keep(t.Topic, "") {
				sel.Topics = append(sel.Topics, t.Topic)
			}
		}
		if len(sel.Topics) == 0 {
			return nil, UsageError{fmt.Errorf("--sensors/--exclude select no topic of %s", path)}
		}
	}
	var prog Progress = noProgress{}
	if o.Progress != nil {
		prog = o.Progress("reading", "msg", -1)
	}
	rep, err := inspect.InspectLog(ctx, r, path, inspect.Options{
		MaxScanBytes: o.MaxScan, FileSize: r.Size(), Select: sel,
		Progress: func(n int64) { prog.Set(n) },
	})
	prog.Finish()
	if err != nil {
		return nil, err
	}
	if o.Strict && len(rep.Problems) > 0 {
		return rep, ProblemsError{len(rep.Problems)}
	}
	return rep, nil
}

// noProgress is the display of a run without Options.Progress.
type noProgress struct{}

func (noProgress) Set(int64) {}
func (noProgress) Finish()   {}

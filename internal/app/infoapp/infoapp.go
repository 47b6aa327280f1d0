// Package infoapp runs "rigsync info": it opens one log (MCAP, ROS 1 bag
// or rosbag2, formats/logfile), inspects it
// (formats/inspect: channels, stamps, TF tree, camera calibrations,
// problems) and returns the report; WriteText writes it as the command's
// text (cmd/rigsync picks text or JSON).
package infoapp

import (
	"context"
	"fmt"

	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/logfile"
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
}

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
	var prog Progress = noProgress{}
	if o.Progress != nil {
		prog = o.Progress("reading", "msg", -1)
	}
	rep, err := inspect.InspectLog(ctx, r, path, inspect.Options{
		MaxScanBytes: o.MaxScan, FileSize: r.Size(),
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

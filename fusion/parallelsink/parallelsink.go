// Package parallelsink runs a frame writer on several goroutines without
// reordering its output.
//
// A writer that supports it implements [Staged]: its work on a frame is cut
// into an ordered bookkeeping step (Stage: names, tokens, keyframe choice,
// whether a resumed run already has the frame), a parallel step (encoding
// PCDs, JPEGs and JSON, writing temporary files) and an ordered commit
// (renaming into place, appending the manifest line, writing an MCAP
// record). [New] wraps it in a fused.Sink that stages every frame in
// order, runs the parallel steps on a pool of goroutines, and commits in
// frame order on one goroutine, with at most 2×workers frames in flight.
// The output is the same, byte for byte, whatever the number of workers.
package parallelsink

import (
	"context"
	"errors"

	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/ordered"
)

// Staged is a fused.Sink whose work on a frame splits into an ordered
// Stage, a parallel task and an ordered commit. Write must be equivalent
// to Stage, then the task, then its commit. Stage is called in frame order
// from one goroutine; tasks of different frames run concurrently; commits
// run one at a time in frame order; Close runs after the last commit.
type Staged interface {
	fused.Sink
	// Stage does the order-dependent bookkeeping of f and returns the
	// frame's parallel work (nil: nothing to do, e.g. a frame a resumed run
	// already has). The task must not touch state that Stage or commits of
	// other frames change.
	Stage(ctx context.Context, f *fused.Frame) (ordered.Task, error)
}

// Sink is a Staged writer run by a pool of goroutines.
type Sink struct {
	s Staged
	q *ordered.Queue
}

// New returns a sink that runs s's parallel steps on workers goroutines.
// With workers <= 1 it returns s itself. The tasks run with the context of
// the Write that staged them.
func New(s Staged, workers int) fused.Sink {
	if workers <= 1 {
		return s
	}
	return &Sink{s: s, q: ordered.New(workers, 2*workers)}
}

// Write stages f and queues its parallel work. It returns the first error
// of any earlier frame.
func (p *Sink) Write(ctx context.Context, f *fused.Frame) error {
	if err := p.q.Err(); err != nil {
		return err
	}
	task, err := p.s.Stage(ctx, f)
	if err != nil || task == nil {
		return err
	}
	return p.q.Submit(ctx, task)
}

// Close waits for every queued frame to be committed, then closes the
// writer (also after an error, so that it can finish what was committed).
func (p *Sink) Close() error {
	err := p.q.Close()
	return errors.Join(err, p.s.Close())
}

// Unwrap returns the writer.
func (p *Sink) Unwrap() fused.Sink { return p.s }

// Write is the sequential form of a Staged write: Stage, the task, its
// commit. Writers implement their Write with it.
func Write(ctx context.Context, s Staged, f *fused.Frame) error {
	task, err := s.Stage(ctx, f)
	if err != nil || task == nil {
		return err
	}
	commit, err := task()
	if err != nil || commit == nil {
		return err
	}
	return commit()
}

// Package ordered runs work on several goroutines and commits the results
// one at a time in submission order: parallel encoding, ordered output,
// bounded memory.
//
// A [Task] is the parallel part of one unit of work (fusing, encoding,
// writing temporary files); it returns a commit, the ordered part
// (renaming into place, appending a manifest line). Commits run on one
// goroutine, in the order the tasks were submitted, whatever order the
// tasks finish in. At most the queue depth tasks are in flight, so memory
// is bounded by depth units of work.
//
// The first error (of a task, a commit, a panic in either, or a cancelled
// context) stops the queue: later commits are skipped, later tasks are not
// run, Submit returns the error, and Close returns it once every goroutine
// has stopped.
package ordered

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Task is the parallel part of one unit of work. It returns the ordered
// part (nil: nothing to commit) or an error.
type Task func() (commit func() error, err error)

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("ordered: queue closed")

// Queue runs tasks on a fixed number of worker goroutines and their commits
// in submission order on one committer goroutine. Submit and Close must be
// called from one goroutine (the producer).
type Queue struct {
	tasks  chan *slot
	order  chan *slot
	done   chan struct{}
	stop   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error
	closed bool
}

type slot struct {
	task   Task
	commit func() error
	err    error
	ready  chan struct{}
}

// New starts a queue with workers goroutines (at least 1) that holds at
// most depth (at least workers) submitted but uncommitted tasks.
func New(workers, depth int) *Queue {
	workers = max(workers, 1)
	depth = max(depth, workers)
	q := &Queue{tasks: make(chan *slot), order: make(chan *slot, depth), done: make(chan struct{}), stop: make(chan struct{})}
	for range workers {
		go q.work()
	}
	go q.commitLoop()
	return q
}

// fail records the first error and stops the queue.
func (q *Queue) fail(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.mu.Unlock()
	q.once.Do(func() { close(q.stop) })
}

// Err returns the first error so far.
func (q *Queue) Err() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

func (q *Queue) stopped() bool {
	select {
	case <-q.stop:
		return true
	default:
		return false
	}
}

func (q *Queue) work() {
	for s := range q.tasks {
		if !q.stopped() {
			s.commit, s.err = run(s.task)
		}
		close(s.ready)
	}
}

func (q *Queue) commitLoop() {
	defer close(q.done)
	for s := range q.order {
		<-s.ready
		if q.stopped() {
			continue
		}
		if s.err != nil {
			q.fail(s.err)
			continue
		}
		if s.commit != nil {
			if err := runCommit(s.commit); err != nil {
				q.fail(err)
			}
		}
	}
}

// run calls t, turning a panic into an error.
func run(t Task) (c func() error, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("ordered: task panicked: %v", r)
		}
	}()
	return t()
}

func runCommit(c func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ordered: commit panicked: %v", r)
		}
	}()
	return c()
}

// Submit queues t behind every task submitted before it. It blocks while
// the queue is full and returns the queue's first error (without queueing
// t) once there is one, or ctx's error when ctx is done first.
func (q *Queue) Submit(ctx context.Context, t Task) error {
	if q.closed {
		return ErrClosed
	}
	if err := q.Err(); err != nil {
		return err
	}
	s := &slot{task: t, ready: make(chan struct{})}
	select {
	case q.order <- s:
	case <-q.stop:
		return q.Err()
	case <-ctx.Done():
		q.fail(ctx.Err())
		return ctx.Err()
	}
	// The slot is in the commit order: it must reach a worker (which skips
	// it once the queue has stopped) or be marked ready here, or the
	// committer would wait for it forever.
	select {
	case q.tasks <- s:
		return nil
	case <-q.stop:
		close(s.ready)
		return q.Err()
	case <-ctx.Done():
		q.fail(ctx.Err())
		close(s.ready)
		return ctx.Err()
	}
}

// Close waits for every submitted task and commit and stops the
// goroutines. It returns the first error, if any. Close is idempotent.
func (q *Queue) Close() error {
	if !q.closed {
		q.closed = true
		close(q.order)
		close(q.tasks)
	}
	<-q.done
	return q.Err()
}

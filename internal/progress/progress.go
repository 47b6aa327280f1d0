// Package progress is the progress bar rigsync's commands show on a
// terminal's stderr (github.com/schollz/progressbar): done/total in a
// unit, the rate and the estimated time left, or a spinner while the
// total is unknown. Off a terminal a Bar only keeps its count.
package progress

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar is a progress display. Its methods may be called on a Bar that
// shows nothing.
type Bar struct {
	bar *progressbar.ProgressBar
	// max and n are the total (< 0: unknown) and the amount done, in the
	// bar's unit, kept whether or not a bar is shown.
	max, n int64
}

// New starts a bar "what" counting unit ("msg", "frames") on f when f is
// a terminal; f nil or not a terminal: nothing is shown. max < 0 means an
// unknown total (a spinner).
func New(f *os.File, what, unit string, max int64) *Bar {
	p := &Bar{max: max}
	if f == nil || !term.IsTerminal(int(f.Fd())) {
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

// NewSeconds starts a bar counting the seconds of a simulated duration d
// (whole seconds, rounded up); feed it with SetNS.
func NewSeconds(f *os.File, what string, d time.Duration) *Bar {
	return New(f, what, "simulated s", secondsCeil(int64(d)))
}

// secondsCeil is ns in whole seconds, rounded up.
func secondsCeil(ns int64) int64 { return (ns + int64(time.Second) - 1) / int64(time.Second) }

// SetNS reports progress through a simulated time: done of total
// nanoseconds, shown as seconds.
func (p *Bar) SetNS(done, total int64) {
	p.SetTotal(secondsCeil(total))
	if done >= total {
		p.Set(p.max)
		return
	}
	p.Set(done / int64(time.Second))
}

// Set reports the amount done so far.
func (p *Bar) Set(n int64) {
	p.n = n
	if p.bar != nil {
		_ = p.bar.Set64(n)
	}
}

// SetTotal changes the total (when it becomes known).
func (p *Bar) SetTotal(n int64) {
	p.max = n
	if p.bar != nil && p.bar.GetMax64() != n {
		p.bar.ChangeMax64(n)
	}
}

// Done is the amount done so far.
func (p *Bar) Done() int64 { return p.n }

// Total is the total in the bar's unit (< 0: unknown).
func (p *Bar) Total() int64 { return p.max }

// Finish removes the bar.
func (p *Bar) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

package liveapp

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// StatusWriter writes the status line and message lines of a run (its
// Options.Status and Options.Println) to a writer, from any goroutine
// (the RTSP clients log from theirs).
type StatusWriter struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	shown bool
	last  time.Time
}

// NewStatusWriter writes to w; tty: w is a terminal, where the status
// line is rewritten in place (elsewhere it is a message line every 10 s).
func NewStatusWriter(w io.Writer, tty bool) *StatusWriter {
	return &StatusWriter{w: w, tty: tty}
}

// Println prints a message line (clearing the status line on a terminal).
func (s *StatusWriter) Println(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.w, "\r\033[K")
		s.shown = false
	}
	fmt.Fprintln(s.w, line)
}

// Show shows the status line (on a terminal; every 10 s as a message
// line otherwise).
func (s *StatusWriter) Show(p Progress) {
	// Off a terminal (a log file) one line every 10 s is enough.
	if !s.tty && time.Since(s.last) < 10*time.Second {
		return
	}
	s.last = time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "frames %d", p.Frames)
	for _, st := range p.Streams {
		drift := ""
		if ppm, ok := p.DriftPPM[st.Name]; ok {
			drift = fmt.Sprintf(" drift %+.1fppm", ppm)
		}
		fmt.Fprintf(&b, " | %s %.1ffps delay %v%s", st.Name, st.FPS, time.Duration(st.Delay).Round(time.Millisecond), drift)
	}
	l := p.Latency
	fmt.Fprintf(&b, " | latency p50 %v max %v", time.Duration(l.P50).Round(time.Millisecond), time.Duration(l.Max).Round(time.Millisecond))
	if !s.tty {
		s.Println("live: " + b.String())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, "\r\033[K%s", b.String())
	s.shown = true
}

// Finish clears the status line.
func (s *StatusWriter) Finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.w, "\r\033[K")
		s.shown = false
	}
}

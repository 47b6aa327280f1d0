// Package recordapp runs "rigsync record": it checks the arguments
// (Options.Check), dials every RTSP camera (formats/rtsp), creates the
// crash-safe MCAP file (formats/mcapwrite), records the cameras into it
// (formats/liverec) while writing status lines, and returns the Report;
// WriteText writes it as the command's text. Flags, help text,
// the choice of text or JSON and the exit code are the command's
// (cmd/rigsync).
package recordapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rigsync/rigsync/formats/liverec"
	"github.com/rigsync/rigsync/formats/mcapwrite"
	"github.com/rigsync/rigsync/formats/rtsp"
)

// Options are the settings of one recording (the flags of "rigsync
// record"), and where its messages go.
type Options struct {
	// Out is the MCAP file to write (required).
	Out string
	// Duration stops the recording after this long (0: at cancellation).
	Duration time.Duration
	// Transport is the RTP transport: "tcp", "udp" or "" (UDP, then TCP).
	Transport string
	// Names are the camera names, one per URL in order (empty: from the
	// URL path).
	Names []string
	// Compression is the chunk compression: zstd, lz4 or none.
	Compression string
	// Flush is the longest time a chunk stays open.
	Flush time.Duration
	// DropProvisional leaves out frames without a capture time.
	DropProvisional bool
	// HoldForSR is how long a camera's first frames wait for its first
	// sender report (negative: never).
	HoldForSR time.Duration
	// StatusEvery is the interval of status lines when Status is not a
	// terminal.
	StatusEvery time.Duration
	// Sync fsyncs the file after every chunk.
	Sync bool

	// Log, if not nil, receives a line per camera connected.
	Log io.Writer
	// Status, if not nil, receives the running status: one rewritten line
	// when StatusTTY, otherwise a line per camera every StatusEvery.
	Status    io.Writer
	StatusTTY bool
}

// UsageError is an argument that is wrong (the command's exit code 2).
type UsageError struct{ Err error }

// Error is the wrapped error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e UsageError) Unwrap() error { return e.Err }

// Check validates what can be checked before connecting to urls: the
// output, the URLs' schemes, the names, transport, compression and
// durations. A wrong one is a UsageError.
func (o *Options) Check(urls []string) error {
	bad := func(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }
	if o.Out == "" {
		return bad("record: -o OUT.mcap is required")
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "rtsp://") && !strings.HasPrefix(u, "rtsps://") {
			return bad("record: %s is not an rtsp:// or rtsps:// URL", rtsp.Redact(u))
		}
	}
	if len(o.Names) > 0 && len(o.Names) != len(urls) {
		return bad("record: %d --name for %d URLs: give one per URL, in order, or none", len(o.Names), len(urls))
	}
	seen := map[string]bool{}
	for _, n := range o.Names {
		if n == "" || strings.ContainsAny(n, "/ \t") {
			return bad("record: --name %q: use a non-empty name without '/' or spaces", n)
		}
		if seen[n] {
			return bad("record: --name %q given twice", n)
		}
		seen[n] = true
	}
	switch o.Transport {
	case "", "tcp", "udp":
	default:
		return bad("record: --transport %q: want tcp, udp or empty (auto)", o.Transport)
	}
	switch o.Compression {
	case "zstd", "lz4", "none":
	default:
		return bad("record: --compression %q: want zstd, lz4 or none", o.Compression)
	}
	if o.Duration < 0 || o.Flush <= 0 || o.StatusEvery <= 0 {
		return bad("record: --duration must be ≥ 0, --flush and --status-every > 0")
	}
	return nil
}

// Report is the recording's summary (the command's --json output).
type Report struct {
	File string `json:"file"`
	liverec.Summary
}

// NoFrames names the cameras that delivered no frame.
func (r *Report) NoFrames() []string {
	var empty []string
	for _, c := range r.Cameras {
		if c.Frames == 0 {
			empty = append(empty, c.Name)
		}
	}
	return empty
}

// Run records the cameras at urls into o.Out until o.Duration has passed
// or ctx is cancelled. Every camera is connected first, so a wrong URL
// fails before a file exists; two cameras with the same name are a
// UsageError.
func Run(ctx context.Context, o Options, urls []string) (*Report, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, "rigsync record: "+format+"\n", a...)
		}
	}

	var sources []liverec.Source
	closeAll := func() {
		for _, s := range sources {
			s.Close()
		}
	}
	for i, u := range urls {
		cfg := rtsp.Config{URL: u, Transport: o.Transport, HoldForSR: o.HoldForSR}
		if len(o.Names) > 0 {
			cfg.Name = o.Names[i]
		}
		cl, err := rtsp.Dial(ctx, cfg)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("record: %w", err)
		}
		sources = append(sources, cl)
		logf("connected to %s as %s", rtsp.Redact(u), cl.Name())
	}
	seen := map[string]string{}
	for i, s := range sources {
		if prev, ok := seen[s.Name()]; ok {
			closeAll()
			return nil, UsageError{fmt.Errorf("record: %s and %s both get the camera name %q: use --name", prev, rtsp.Redact(urls[i]), s.Name())}
		}
		seen[s.Name()] = rtsp.Redact(urls[i])
	}

	w, err := mcapwrite.Create(o.Out, mcapwrite.Options{Compression: o.Compression, FlushEvery: o.Flush,
		Library: "rigsync record", Sync: o.Sync})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("record: %w", err)
	}
	st := &statusWriter{w: o.Status, tty: o.StatusTTY, every: o.StatusEvery, last: time.Now()}
	sess, err := liverec.New(mcapwrite.NewRecorder(w), sources, liverec.Options{
		DropProvisional: o.DropProvisional, Status: st.update})
	if err != nil {
		closeAll()
		w.Close()
		return nil, fmt.Errorf("record: %w", err)
	}
	sum, runErr := sess.Run(ctx)
	st.finish()
	closeErr := w.Close()
	ws := w.Stats() // after the last chunk and the summary
	sum.Messages, sum.Chunks, sum.FileBytes = ws.Messages, ws.Chunks, ws.Bytes
	if err := errors.Join(runErr, closeErr); err != nil {
		return nil, fmt.Errorf("record: %s: %w", o.Out, err)
	}
	return &Report{File: o.Out, Summary: sum}, nil
}

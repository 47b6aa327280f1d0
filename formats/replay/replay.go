// Package replay plays a recorded log back at real time, so that it can
// stand in for live sensors beside live cameras (rigsync live --with).
//
// A Replayer reads a log (MCAP, ROS 1 bag, rosbag2; formats/logfile) in
// log-time order (
// bounded memory) and decodes each message with formats/decode. Next
// returns the next message when it is due on the host clock, not before:
// a Replayer is a formats.Source, so formats.Merge can join it with other
// sources (live cameras, other logs) in log-time order.
//
// # Clock mapping
//
// Let L0 be the log time of the first message replayed and H0 the host
// time (UNIX ns) when replay starts (Options.HostStart, default the
// clock's Now at the first call to Next). With speed factor v,
//
//	due(m)    = H0 + (m.LogTime − L0) / v     host time m is handed out
//	shift(t)  = H0 + (t − L0) / v             applied to every time of m
//
// Message.LogTime, PublishTime and Stamp, and the stamps inside a
// *formats.Transforms, go through shift; so they are on the host clock
// and can meet live frames stamped on it. The mapping is one affine map
// for every topic, so the log's inter-sensor timing (including any clock
// offset a sensor has against the log clock) is kept exactly at v = 1;
// at v ≠ 1 every interval is divided by v. StampClock keeps the sensor's
// clock name: the stamp is still that sensor's clock, shifted by the
// common offset Mapping reports. Other stamps inside payloads are not
// rewritten.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Clock is the host clock the Replayer paces against. Tests give a fake.
type Clock interface {
	// Now returns the host time in ns since the UNIX epoch.
	Now() int64
	// SleepUntil blocks until Now() ≥ t or ctx is done (then it returns
	// ctx.Err()).
	SleepUntil(ctx context.Context, t int64) error
}

// SystemClock is the host's wall clock.
type SystemClock struct{}

// Now returns time.Now in UNIX ns.
func (SystemClock) Now() int64 { return time.Now().UnixNano() }

// SleepUntil sleeps until t on the wall clock.
func (SystemClock) SleepUntil(ctx context.Context, t int64) error {
	d := time.Duration(t - time.Now().UnixNano())
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Options configure a Replayer.
type Options struct {
	// Topics keeps only these topics; empty keeps all.
	Topics []string
	// Speed is the playback speed factor (1 = real time, 2 = twice as
	// fast); 0 means 1.
	Speed float64
	// Clock is the host clock (SystemClock when nil).
	Clock Clock
	// HostStart is H0 in the package doc; 0 means Clock.Now() at the
	// first call to Next.
	HostStart int64
}

// Mapping is the clock mapping of a replay (see the package doc).
type Mapping struct {
	LogStart  int64   `json:"log_start_ns"`
	HostStart int64   `json:"host_start_ns"`
	Speed     float64 `json:"speed"`
}

// Shift maps a log time (or a stamp) onto the host clock.
func (m Mapping) Shift(t int64) int64 {
	if m.Speed == 1 {
		return t + (m.HostStart - m.LogStart)
	}
	return m.HostStart + int64(math.Round(float64(t-m.LogStart)/m.Speed))
}

// Unshift is the inverse of Shift: a host time back onto the log's clock
// (exact at speed 1, to the ns otherwise).
func (m Mapping) Unshift(t int64) int64 {
	if m.Speed == 1 {
		return t - (m.HostStart - m.LogStart)
	}
	return m.LogStart + int64(math.Round(float64(t-m.HostStart)*m.Speed))
}

// Stats count what a Replayer did.
type Stats struct {
	// Messages handed out, and messages skipped because they could not
	// be decoded (the first such error is Undecodable's example).
	Messages, Undecodable int
	FirstError            string
	// MaxBehind is the largest delay of a hand-out behind its due time
	// (the consumer or the disk was too slow), in ns.
	MaxBehind int64
}

// Replayer hands out a log's messages at real time. It is not safe for
// concurrent use.
type Replayer struct {
	r       *logfile.Log
	closeR  bool
	it      *logfile.Iterator
	ds      decode.Decoders
	clock   Clock
	m       Mapping
	started bool
	stats   Stats
}

// Open opens the log at path for replay: an MCAP file, a ROS 1 bag or a
// rosbag2 bag (formats/logfile).
func Open(path string, opts Options) (*Replayer, error) {
	r, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	p, err := NewLog(r, opts)
	if err != nil {
		r.Close()
		return nil, err
	}
	p.closeR = true
	return p, nil
}

// New replays the log behind r (which the caller closes, unless Open made
// it).
func New(r *mcapread.Reader, opts Options) (*Replayer, error) {
	return NewLog(logfile.FromMCAP(r, ""), opts)
}

// NewLog replays the log behind r (which the caller closes, unless Open
// made it).
func NewLog(r *logfile.Log, opts Options) (*Replayer, error) {
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	if !(opts.Speed > 0) || math.IsInf(opts.Speed, 0) {
		return nil, fmt.Errorf("replay: speed %g, need a finite factor > 0", opts.Speed)
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	it, err := r.Messages(mcapread.Options{Topics: opts.Topics})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return &Replayer{r: r, it: it, clock: opts.Clock, m: Mapping{HostStart: opts.HostStart, Speed: opts.Speed}}, nil
}

// A Replayer is a formats.Source: a log on the host clock, paced.
var _ interface {
	formats.Source
	formats.Named
} = (*Replayer)(nil)

// Name returns the log's name (its path, for Open).
func (p *Replayer) Name() string { return p.r.Name() }

// Reader returns the underlying MCAP reader; nil when the log is a bag
// (see Log).
func (p *Replayer) Reader() *mcapread.Reader { return p.r.MCAP() }

// Log returns the underlying log (for its channels, catalog and
// warnings).
func (p *Replayer) Log() *logfile.Log { return p.r }

// Mapping returns the clock mapping; it is known after the first Next.
func (p *Replayer) Mapping() Mapping { return p.m }

// Stats returns what the Replayer did so far.
func (p *Replayer) Stats() Stats { return p.stats }

// Next waits until the next message is due and returns it with its times
// on the host clock. Its payload owns its bytes. It returns io.EOF after
// the last message, ctx.Err() when ctx is done while waiting, and an error
// naming the file for a read failure. Messages that cannot be decoded are
// skipped and counted in Stats.
func (p *Replayer) Next(ctx context.Context) (formats.Message, error) {
	for {
		m, err := p.it.Next()
		if errors.Is(err, io.EOF) {
			return formats.Message{}, io.EOF
		}
		if err != nil {
			return formats.Message{}, fmt.Errorf("replay: %w", err)
		}
		if !p.started {
			p.started = true
			p.m.LogStart = int64(m.LogTime)
			if p.m.HostStart == 0 {
				p.m.HostStart = p.clock.Now()
			}
		}
		raw := m.Message
		raw.Data = append([]byte(nil), m.Data...)
		due := p.m.Shift(int64(raw.LogTime))
		msg, err := p.ds.Message(m.Channel.Channel, m.Channel.Schema, &raw)
		if err != nil {
			p.stats.Undecodable++
			if p.stats.FirstError == "" {
				p.stats.FirstError = err.Error()
			}
			continue
		}
		if err := p.clock.SleepUntil(ctx, due); err != nil {
			return formats.Message{}, err
		}
		if behind := p.clock.Now() - due; behind > p.stats.MaxBehind {
			p.stats.MaxBehind = behind
		}
		msg.LogTime = due
		msg.PublishTime = p.m.Shift(msg.PublishTime)
		msg.Stamp = p.m.Shift(msg.Stamp)
		if tf, ok := msg.Payload.(*formats.Transforms); ok {
			for i := range tf.Transforms {
				tf.Transforms[i].Stamp = p.m.Shift(tf.Transforms[i].Stamp)
			}
		}
		p.stats.Messages++
		return msg, nil
	}
}

// Close closes the log if Open opened it.
func (p *Replayer) Close() error {
	if p.closeR {
		return p.r.Close()
	}
	return nil
}

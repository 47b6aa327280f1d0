package replay_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/replay"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

// fakeClock jumps to the time asked for; it records every sleep.
type fakeClock struct {
	now    int64
	sleeps []int64
	// lag is added to each wake-up (a slow host).
	lag int64
}

func (c *fakeClock) Now() int64 { return c.now }

func (c *fakeClock) SleepUntil(ctx context.Context, t int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, t)
	if t > c.now {
		c.now = t + c.lag
	}
	return nil
}

// fixtureLog writes a short minimal-preset drive log.
func fixtureLog(t *testing.T) string {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 1500 * time.Millisecond
	cfg.Rig.SetCameraSize(160, 96)
	cfg.Faults = append(cfg.Faults, fixtures.Fault{Kind: fixtures.ClockOffset, Sensor: "cam_front", Offset: 25 * time.Millisecond})
	path := filepath.Join(t.TempDir(), "drive.mcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fixtures.Generate(context.Background(), cfg, f, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// original returns the log's decodable messages as recorded.
func original(t *testing.T, path string) []formats.Message {
	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ds decode.Decoders
	var out []formats.Message
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		mm := m.Message
		mm.Data = append([]byte(nil), m.Data...)
		msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &mm)
		if err == nil {
			out = append(out, msg)
		}
	}
}

func TestPacing(t *testing.T) {
	path := fixtureLog(t)
	orig := original(t, path)
	if len(orig) < 100 {
		t.Fatalf("fixture has %d messages", len(orig))
	}
	L0 := orig[0].LogTime
	const H0 = int64(1_900_000_000) * 1e9 // the host clock is far from the log's 2024 start
	for _, speed := range []float64{1, 2.5} {
		clk := &fakeClock{now: H0 - 12345}
		p, err := replay.Open(path, replay.Options{Speed: speed, Clock: clk, HostStart: H0})
		if err != nil {
			t.Fatal(err)
		}
		shift := func(x int64) int64 {
			if speed == 1 {
				return x - L0 + H0
			}
			return H0 + int64(float64(x-L0)/speed+0.5)
		}
		for i, o := range orig {
			m, err := p.Next(context.Background())
			if err != nil {
				t.Fatalf("speed %g: message %d: %v", speed, i, err)
			}
			due := shift(o.LogTime)
			if clk.now != due || m.LogTime != due {
				t.Fatalf("speed %g: message %d (%s) handed out at %d, log time %d; due at %d", speed, i, o.Topic, clk.now, m.LogTime, due)
			}
			if m.Topic != o.Topic || m.Stamp != shift(o.Stamp) || m.StampClock != o.StampClock {
				t.Fatalf("speed %g: message %d: %s stamp %d (%s), want %s %d (%s)", speed, i, m.Topic, m.Stamp, m.StampClock, o.Topic, shift(o.Stamp), o.StampClock)
			}
			// At real time the shift is one constant for every topic: the
			// inter-sensor offsets of the log are kept to the ns.
			if mp := p.Mapping(); mp.Unshift(m.Stamp) < o.Stamp-1 || mp.Unshift(m.Stamp) > o.Stamp+1 {
				t.Fatalf("speed %g: message %d: Unshift(%d) = %d, want %d", speed, i, m.Stamp, mp.Unshift(m.Stamp), o.Stamp)
			}
			if speed == 1 && m.Stamp-o.Stamp != H0-L0 {
				t.Fatalf("message %d: stamp moved by %d, want %d", i, m.Stamp-o.Stamp, H0-L0)
			}
		}
		if _, err := p.Next(context.Background()); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last message: %v, want io.EOF", err)
		}
		if got := p.Mapping(); got.LogStart != L0 || got.HostStart != H0 || got.Speed != speed {
			t.Errorf("mapping %+v", got)
		}
		if s := p.Stats(); s.Messages != len(orig) || s.MaxBehind != 0 {
			t.Errorf("stats %+v, want %d messages, none behind", s, len(orig))
		}
		// The replayer slept for every message, in order, never backwards.
		for i := 1; i < len(clk.sleeps); i++ {
			if clk.sleeps[i] < clk.sleeps[i-1] {
				t.Fatalf("sleep %d goes back in time", i)
			}
		}
		p.Close()
	}
}

func TestBehindAndCancel(t *testing.T) {
	path := fixtureLog(t)
	clk := &fakeClock{now: 1e18, lag: int64(3 * time.Millisecond)}
	p, err := replay.Open(path, replay.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 20 {
		if _, err := p.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.MaxBehind != int64(3*time.Millisecond) {
		t.Errorf("MaxBehind = %d, want 3 ms", s.MaxBehind)
	}
	if p.Mapping().HostStart != 1e18 {
		t.Errorf("HostStart %d, want the clock's now at the first Next", p.Mapping().HostStart)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestErrors(t *testing.T) {
	if _, err := replay.Open(filepath.Join(t.TempDir(), "missing.mcap"), replay.Options{}); err == nil {
		t.Error("missing file: no error")
	}
	path := fixtureLog(t)
	if _, err := replay.Open(path, replay.Options{Speed: -1}); err == nil {
		t.Error("speed −1 accepted")
	}
}

// TestSystemClock checks the real clock waits (a short, loose check).
func TestSystemClock(t *testing.T) {
	var c replay.SystemClock
	start := c.Now()
	if err := c.SleepUntil(context.Background(), start+int64(5*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if c.Now() < start+int64(5*time.Millisecond) {
		t.Error("woke up early")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.SleepUntil(ctx, start+int64(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sleep: %v", err)
	}
}

// TestMergedReplays: Replayers are formats.Sources. Two replays of one log
// from the same host start, merged, hand out every message twice, the
// first replay's first (ties go to the earlier source), each stamped
// when it is due; an error of a replay names its log.
func TestMergedReplays(t *testing.T) {
	path := fixtureLog(t)
	orig := original(t, path)
	const H0 = int64(1_900_000_000) * 1e9
	clk := &fakeClock{now: H0}
	var srcs []formats.Source
	for range 2 {
		p, err := replay.Open(path, replay.Options{Clock: clk, HostStart: H0})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.Name() != path {
			t.Errorf("Name %q, want the path", p.Name())
		}
		srcs = append(srcs, p)
	}
	// The expected order: per log time, the first replay's messages, then
	// the second's.
	type want struct {
		o   formats.Message
		src int
	}
	var wants []want
	for i := 0; i < len(orig); {
		j := i
		for j < len(orig) && orig[j].LogTime == orig[i].LogTime {
			j++
		}
		for src := range 2 {
			for _, o := range orig[i:j] {
				wants = append(wants, want{o, src})
			}
		}
		i = j
	}
	m := formats.Merge(srcs...)
	ctx := context.Background()
	for i, w := range wants {
		msg, err := m.Next(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if due := w.o.LogTime - orig[0].LogTime + H0; msg.Topic != w.o.Topic || msg.LogTime != due || m.From() != w.src {
			t.Fatalf("message %d: %s at %d from replay %d, want %s at %d from replay %d", i, msg.Topic, msg.LogTime, m.From(), w.o.Topic, due, w.src)
		}
	}
	if _, err := m.Next(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("after the end: %v", err)
	}

	// A done context is the error of the first replay, named.
	p, err := replay.Open(path, replay.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = formats.Merge(p).Next(cctx)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), path+": ") {
		t.Fatalf("got %v, want context.Canceled named %s", err, path)
	}
}

// A ROS 1 bag and a rosbag2 bag of the drive replay like its MCAP: the
// same topics, stamps and frame ids, handed out at the same host times
// (live --with takes any log).
func TestReplayBags(t *testing.T) {
	path := fixtureLog(t)
	orig := original(t, path)
	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bag, r2 := filepath.Join(dir, "drive.bag"), filepath.Join(dir, "drive_r2")
	if _, err := logfile.WriteROS1(r, bag, rosbag1.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := logfile.WriteROS2(r, r2, rosbag2.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	const H0 = int64(1_900_000_000) * 1e9
	L0 := orig[0].LogTime
	for _, p := range []string{bag, r2} {
		clk := &fakeClock{now: H0}
		rp, err := replay.Open(p, replay.Options{Clock: clk, HostStart: H0})
		if err != nil {
			t.Fatal(err)
		}
		if rp.Log() == nil || rp.Reader() != nil {
			t.Errorf("%s: Log %v, Reader %v", p, rp.Log(), rp.Reader())
		}
		for i, o := range orig {
			m, err := rp.Next(context.Background())
			if err != nil {
				t.Fatalf("%s: message %d: %v", p, i, err)
			}
			if m.Topic != o.Topic || m.LogTime != o.LogTime-L0+H0 || m.Stamp != o.Stamp-L0+H0 || m.FrameID != o.FrameID {
				t.Fatalf("%s: message %d: %s log %d stamp %d %q; want %s %d %d %q", p, i, m.Topic, m.LogTime, m.Stamp, m.FrameID,
					o.Topic, o.LogTime-L0+H0, o.Stamp-L0+H0, o.FrameID)
			}
		}
		if _, err := rp.Next(context.Background()); !errors.Is(err, io.EOF) {
			t.Errorf("%s: after the last message: %v", p, err)
		}
		rp.Close()
	}
}

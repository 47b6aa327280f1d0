package live_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/live"
)

var errDisk = errors.New("disk full")

// failingSink fails the write of frame fail and counts the writes tried.
type failingSink struct {
	fail, writes int
}

func (s *failingSink) Write(_ context.Context, f *fused.Frame) error {
	s.writes++
	if f.Index == s.fail {
		return errDisk
	}
	return nil
}
func (s *failingSink) Close() error { return nil }

// A sink error stops the Fuser: the call that wrote the frame returns it
// (naming the frame), no later frame is written, and every later Push,
// Advance and Flush returns the same error.
func TestSinkErrorStops(t *testing.T) {
	const ms = int64(time.Millisecond)
	const frames = 5
	for fail := range frames {
		t.Run(fmt.Sprintf("frame%d", fail), func(t *testing.T) {
			sink := &failingSink{fail: fail}
			f, err := live.New(live.Config{Streams: []live.Stream{
				{Name: "radar_a", Topic: "/a", Modality: formats.Radar},
				{Name: "radar_b", Topic: "/b", Modality: formats.Radar},
			}, Calibration: &fusion.Calibration{Base: "base_link"}}, sink)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var errs []error
			for k := range int64(frames) {
				s := k * 100 * ms
				errs = append(errs,
					f.Push(ctx, s+5*ms, 0, live.Input{Msg: formats.Message{Stamp: s}}),
					f.Push(ctx, s+7*ms, 1, live.Input{Msg: formats.Message{Stamp: s + 2*ms}}),
					f.Advance(ctx, s+50*ms))
			}
			errs = append(errs, f.Flush(ctx, frames*100*ms), f.Advance(ctx, frames*200*ms), f.Flush(ctx, frames*200*ms))
			first := -1
			for i, err := range errs {
				switch {
				case err == nil && first >= 0:
					t.Fatalf("call %d returned nil after call %d failed", i, first)
				case err == nil:
				case !errors.Is(err, errDisk) || !strings.HasPrefix(err.Error(), fmt.Sprintf("live: frame %d: ", fail)):
					t.Fatalf("call %d returned %q, want live: frame %d: %v", i, err, fail, errDisk)
				case first < 0:
					first = i
				}
			}
			if first < 0 {
				t.Fatal("no call returned the sink's error")
			}
			if sink.writes != fail+1 || f.Frames() != fail+1 {
				t.Errorf("%d writes tried, %d frames fused, want %d (none after the error)", sink.writes, f.Frames(), fail+1)
			}
		})
	}
}

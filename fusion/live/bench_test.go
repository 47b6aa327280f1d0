package live_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/replay"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/live"
)

type discardSink struct{ n int }

func (s *discardSink) Write(context.Context, *fused.Frame) error { s.n++; return nil }
func (s *discardSink) Close() error                              { return nil }

// BenchmarkLiveFuser replays a 2 s minimal-rig log as fast as possible (a
// fake clock) through the live Fuser; BenchmarkOfflinePipeline fuses the
// same log with fusion.Pipeline (deskew, ego) as the baseline. Compare
// ns/op within one run.
func BenchmarkLiveFuser(b *testing.B) {
	d := newDrive(b)
	r, err := mcapread.Open(d.path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cal, err := fusion.ReadCalibration(context.Background(), r, "base_link")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		clk := &fakeClock{now: 1_900_000_000e9}
		p, err := replay.New(r, replay.Options{Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		sink := &discardSink{}
		f, err := live.New(live.Config{Streams: []live.Stream{
			{Name: "lidar_top", Topic: "/lidar_top/points", Modality: formats.Lidar},
			{Name: "cam_front", Topic: "/cam_front/image/compressed", Modality: formats.Camera},
		}, Calibration: cal}, sink)
		if err != nil {
			b.Fatal(err)
		}
		for {
			m, err := p.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			switch m.Modality {
			case formats.Lidar:
				err = f.Push(ctx, clk.now, 0, live.Input{Msg: m})
			case formats.Camera:
				err = f.Push(ctx, clk.now, 1, live.Input{Msg: m})
			case formats.IMUModality:
				f.AddIMU(m)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Flush(ctx, clk.now+int64(time.Second)); err != nil {
			b.Fatal(err)
		}
		if sink.n != 20 {
			b.Fatalf("%d frames", sink.n)
		}
	}
}

func BenchmarkOfflinePipeline(b *testing.B) {
	d := newDrive(b)
	r, err := mcapread.Open(d.path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for b.Loop() {
		sink := &discardSink{}
		if err := (&fusion.Pipeline{Reader: r}).Run(context.Background(), sink); err != nil {
			b.Fatal(err)
		}
		if sink.n != 20 {
			b.Fatalf("%d frames", sink.n)
		}
	}
}

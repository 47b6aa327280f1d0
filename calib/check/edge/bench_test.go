package edge

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
)

// BenchmarkCheck measures the checker per fused frame (Add on every frame,
// then Results) against the fusion pipeline that produces the frames, in
// the same run: compare fuse+check with fuse. The log is the minimal rig
// (480×300 camera, 32×512 LiDAR), 4 s, 40 frames.
func BenchmarkCheck(b *testing.B) {
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), testConfig(b, 4*time.Second, 1), &log, &truth, nil); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, sink func(*fused.Frame) error, done func()) {
		frames := 0
		for b.Loop() {
			r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
			if err != nil {
				b.Fatal(err)
			}
			p := fusion.Pipeline{Reader: r, NoProject: true}
			if err := p.Run(context.Background(), sinkFunc(func(f *fused.Frame) error { frames++; return sink(f) })); err != nil {
				b.Fatal(err)
			}
			done()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(frames, 1)), "ns/frame")
	}
	b.Run("fuse", func(b *testing.B) {
		run(b, func(*fused.Frame) error { return nil }, func() {})
	})
	b.Run("fuse+check", func(b *testing.B) {
		var c *Checker
		run(b, func(f *fused.Frame) error {
			if c == nil {
				c = NewCameraChecker("cam_front", "lidar_top", Options{})
			}
			return c.Add(f)
		}, func() {
			if _, _, err := c.Results(); err != nil {
				b.Fatal(err)
			}
			c = nil
		})
	})
}

// BenchmarkAdd measures Add alone per frame on frames fused beforehand,
// at the minimal rig's 480×300 and at the urban rig's 640×400 (70°),
// against decoding the frame's JPEG alone in the same run.
func BenchmarkAdd(b *testing.B) {
	for _, size := range [][3]int{{480, 300, 90}, {640, 400, 70}} {
		cfg := testConfig(b, 2*time.Second, 1)
		cfg.Rig.Cameras[0].Width, cfg.Rig.Cameras[0].Height, cfg.Rig.Cameras[0].HFOV = size[0], size[1], float64(size[2])
		var log, truth bytes.Buffer
		if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
			b.Fatal(err)
		}
		r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
		if err != nil {
			b.Fatal(err)
		}
		var frames []*fused.Frame
		p := fusion.Pipeline{Reader: r, NoProject: true}
		if err := p.Run(context.Background(), sinkFunc(func(f *fused.Frame) error { frames = append(frames, f); return nil })); err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%dx%d", size[0], size[1])
		b.Run(name+"/decode", func(b *testing.B) {
			n := 0
			for b.Loop() {
				for _, f := range frames {
					for _, c := range f.Cameras {
						if _, err := decodeImage(c.Image, 0, 0); err != nil {
							b.Fatal(err)
						}
						n++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(n, 1)), "ns/frame")
		})
		b.Run(name+"/add", func(b *testing.B) {
			n := 0
			for b.Loop() {
				c := NewCameraChecker("cam_front", "lidar_top", Options{})
				for _, f := range frames {
					if err := c.Add(f); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(n, 1)), "ns/frame")
		})
	}
}

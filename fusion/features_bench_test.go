package fusion

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// BenchmarkPipelineFeatures fuses 2 s of the urban preset with the IMU
// deskew and the image checks on and off, for same-run cost ratios.
func BenchmarkPipelineFeatures(b *testing.B) {
	const d = 2 * time.Second
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Duration = d
	lf := generate(b, cfg)
	for _, tc := range []struct {
		name string
		p    Pipeline
	}{
		{"baseline", Pipeline{NoIMU: true, ImageCheckEvery: -1}},
		{"imu", Pipeline{ImageCheckEvery: -1}},
		{"image-check", Pipeline{NoIMU: true}},
		{"image-check-every", Pipeline{NoIMU: true, ImageCheckEvery: 1}},
		{"default", Pipeline{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(lf.log)))
			for b.Loop() {
				r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
				if err != nil {
					b.Fatal(err)
				}
				p := tc.p
				p.Reader = r
				if err := p.Run(context.Background(), &heapSink{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(d.Seconds()*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}

// BenchmarkRegistration fuses 3 s of the minimal rig without an ego
// source, with and without the sweep registration (constant-velocity
// deskew), for the same-run cost ratio.
func BenchmarkRegistration(b *testing.B) {
	const d = 3 * time.Second
	lf := generate(b, testRig(b, d))
	for _, tc := range []struct {
		name string
		p    Pipeline
	}{
		{"rotation-only", Pipeline{Ego: "none", NoProject: true}},
		{"registration", Pipeline{Ego: "none", NoProject: true, Register: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
				if err != nil {
					b.Fatal(err)
				}
				p := tc.p
				p.Reader = r
				if err := p.Run(context.Background(), &heapSink{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(d.Seconds()*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}

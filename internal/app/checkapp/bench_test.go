package checkapp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
)

// discard is a sink that drops frames.
type discard struct{}

func (discard) Write(context.Context, *fused.Frame) error { return nil }
func (discard) Close() error                              { return nil }

// BenchmarkRun is `rigsync calib check` on the default 20 s urban fixture
// log (6 cameras, lidar_top, 5 radars, odometry; generated once). Issue 7's
// target is ≤ 60 s wall on a 2-core machine for "all". "fusion" streams
// the same log through the pipeline with no checker: the baseline the
// others are compared with in the same run. "lidar-radar-handeye" runs
// this package's own checkers without the camera checks.
func BenchmarkRun(b *testing.B) {
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Duration = 20 * time.Second
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, nil, nil); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "drive.mcap")
	if err := os.WriteFile(path, log.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	log = bytes.Buffer{}
	b.Run("fusion", func(b *testing.B) {
		for b.Loop() {
			r, err := mcapread.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			p := fusion.Pipeline{Reader: r}
			if err := p.Run(context.Background(), discard{}); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
	for _, c := range []struct {
		name  string
		kinds []string
	}{
		{"lidar-radar-handeye", myKinds},
		{"all", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := Run(context.Background(), Options{Logs: []string{path}, Kinds: c.kinds})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(rep.Pairs)), "pairs")
			}
		})
	}
}

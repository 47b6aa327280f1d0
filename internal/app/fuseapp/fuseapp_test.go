package fuseapp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/sync/clock"
)

// writeLog generates d of the minimal fixture rig, in chunks of 256 KiB,
// into dir/name.mcap.
func writeLog(dir, name string, d time.Duration) (string, error) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		return "", err
	}
	cfg.Duration = d
	cfg.ChunkSize = 256 << 10
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".mcap")
	return path, os.WriteFile(path, log.Bytes(), 0o644)
}

// mustLog is writeLog failing t.
func mustLog(t *testing.T, d time.Duration) string {
	t.Helper()
	path, err := writeLog(t.TempDir(), "drive", d)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// options are the flag defaults of "rigsync fuse".
func options(out string) fuseapp.Options {
	return fuseapp.Options{Format: "frames", Out: out, Frame: "base_link", Tolerance: 50 * time.Millisecond,
		KeyframeHz: 2, Ego: "auto", ImageCheckEvery: fusion.DefaultImageCheckEvery, Workers: 1}
}

// Options that do not fit together are a UsageError before any file is
// opened or written (the log does not even exist).
func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		name string
		edit func(*fuseapp.Options)
		want string
	}{
		{"no output", func(o *fuseapp.Options) { o.Out = "" }, "-o OUT is required"},
		{"latency without auto", func(o *fuseapp.Options) { o.Latency = map[string]time.Duration{"cam": time.Millisecond} }, "--latency is used by --clock auto"},
		{"scale without rig", func(o *fuseapp.Options) { o.ScaleIntrinsics = true }, "--scale-intrinsics scales the intrinsics of --rig"},
		{"unknown ego", func(o *fuseapp.Options) { o.Ego = "compass" }, `--ego "compass"`},
		{"negative image check", func(o *fuseapp.Options) { o.ImageCheckEvery = -1 }, "--image-check-every -1"},
		{"unknown format", func(o *fuseapp.Options) { o.Format = "tiff" }, `--format "tiff": want frames, nuscenes`},
		{"kitti camera elsewhere", func(o *fuseapp.Options) { o.KITTICamera = "cam_front" }, `--kitti-camera is for --format kitti, not "frames"`},
		{"url prefix elsewhere", func(o *fuseapp.Options) { o.URLPrefix = "s3://b/" }, `--url-prefix is for --format segments, not "frames"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(out)
			tc.edit(&o)
			sum, err := fuseapp.Run(context.Background(), o, []string{filepath.Join(dir, "missing.mcap")})
			var ue fuseapp.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a UsageError containing %q", err, tc.want)
			}
			if sum != nil {
				t.Errorf("a summary came with the usage error: %+v", sum)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output %s exists after a usage error (stat: %v)", out, err)
			}
		})
	}
}

// Run fuses a log: one frame per reference sweep (the progress total says
// so beforehand), a given clock model reported, no problems; --strict on a
// cut log returns the summary and a ProblemsError naming the file.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	log := mustLog(t, time.Second)

	type stage struct {
		name, unit string
		total, n   int64
		finished   bool
	}
	var stages []*stage
	o := options(filepath.Join(dir, "out"))
	o.Clocks = map[string]clock.Model{"cam_front": {Offset: -25e6}}
	o.Progress = func(name, unit string, total int64) fuseapp.Progress {
		s := &stage{name: name, unit: unit, total: total}
		stages = append(stages, s)
		return progressFunc{set: func(n int64) { s.n = n }, finish: func() { s.finished = true }}
	}
	sum, err := fuseapp.Run(context.Background(), o, []string{log})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames == 0 || sum.Log != log || sum.Format != "frames" || len(sum.Problems) != 0 || sum.Problems == nil {
		t.Errorf("summary: %d frames of %s as %s, problems %v", sum.Frames, sum.Log, sum.Format, sum.Problems)
	}
	if len(sum.Clocks) != 1 || sum.Clocks[0].Sensor != "cam_front" || sum.Clocks[0].Applied != "given" {
		t.Errorf("clocks = %+v, want cam_front given", sum.Clocks)
	}
	if len(stages) != 1 || stages[0].name != "fusing" || stages[0].unit != "frames" ||
		stages[0].total != int64(sum.Frames) || stages[0].n != int64(sum.Frames) || !stages[0].finished {
		t.Errorf("progress stages %+v, want one finished fusing stage of %d frames", stages, sum.Frames)
	}

	// The first 60% of the log: its tail chunks are gone.
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.mcap")
	if err := os.WriteFile(cut, data[:len(data)*6/10], 0o644); err != nil {
		t.Fatal(err)
	}
	o = options(filepath.Join(dir, "cut-out"))
	o.Strict = true
	sum, err = fuseapp.Run(context.Background(), o, []string{cut})
	var pe fuseapp.ProblemsError
	if !errors.As(err, &pe) || pe.N == 0 || !strings.Contains(err.Error(), "damaged input: "+cut) {
		t.Fatalf("strict run on a cut log: %v, want a ProblemsError naming %s", err, cut)
	}
	if sum == nil || len(sum.Problems) != pe.N || sum.Frames == 0 {
		t.Errorf("strict run: summary %+v, want its %d problems and the frames read", sum, pe.N)
	}
}

type progressFunc struct {
	set    func(int64)
	finish func()
}

func (p progressFunc) Set(n int64) { p.set(n) }
func (p progressFunc) Finish()     { p.finish() }

// FrameEstimate is −1 when there is no reference LiDAR to count.
func TestFrameEstimate(t *testing.T) {
	log := mustLog(t, 500*time.Millisecond)
	r, err := mcapread.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lg := logfile.FromMCAP(r, "")
	for _, tc := range []struct {
		name      string
		readers   []*logfile.Log
		reference string
		want      int64
	}{
		{"default reference", []*logfile.Log{lg}, "", 5},
		{"named reference", []*logfile.Log{lg}, "/lidar_top/points", 5},
		{"one topic in two logs", []*logfile.Log{lg, lg}, "/lidar_top/points", 10},
		{"unknown reference", []*logfile.Log{lg}, "/nope", -1},
		{"no readers", nil, "", -1},
	} {
		if got := fuseapp.FrameEstimate(tc.readers, nil, tc.reference); got != tc.want {
			t.Errorf("%s: estimate %d, want %d", tc.name, got, tc.want)
		}
	}
}

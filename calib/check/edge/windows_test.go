package edge

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// windowsOf generates the log of cfg, fuses it with the log's own
// (/tf_static) calibration, feeds every camera's checker and returns each
// camera's time windows (as PairResult.Windows: the perturbation search
// of Results, which does not touch the windows, is not run).
func windowsOf(tb testing.TB, cfg fixtures.Config) map[string][]check.Window {
	tb.Helper()
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, nil, nil); err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
	if err != nil {
		tb.Fatal(err)
	}
	var origin r3.Vec
	for _, l := range cfg.Rig.Lidars {
		if l.Name == "lidar_top" {
			origin = r3.Vec{X: l.Mount.X, Y: l.Mount.Y, Z: l.Mount.Z}
		}
	}
	var cs []*Checker
	for _, c := range cfg.Rig.Cameras {
		cs = append(cs, NewCameraChecker(c.Name, "lidar_top", Options{LidarOrigin: origin, NoOverlays: true}))
	}
	p := fusion.Pipeline{Reader: r, NoProject: true}
	if err := p.Run(context.Background(), sinkFunc(func(f *fused.Frame) error {
		for _, c := range cs {
			if err := c.Add(f); err != nil {
				return err
			}
		}
		return nil
	})); err != nil {
		tb.Fatalf("Pipeline.Run: %v", err)
	}
	out := map[string][]check.Window{}
	for _, c := range cs {
		out[c.cam] = c.windows()
	}
	return out
}

// windowConfig is an 8 s log of preset with the true ego pose on /tf and
// only the named cameras (all of the preset's when none are named).
func windowConfig(tb testing.TB, preset string, seed uint64, cams ...string) fixtures.Config {
	tb.Helper()
	cfg, err := fixtures.Preset(preset)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration, cfg.Seed, cfg.Rig.TF = 8*time.Second, seed, true
	if len(cams) > 0 {
		cfg.Rig.Cameras = slices.DeleteFunc(cfg.Rig.Cameras, func(c fixtures.CameraSpec) bool { return !slices.Contains(cams, c.Name) })
	}
	return cfg
}

// frontCameras are the urban rig's cameras the window tests render: half
// of the six, to halve the cost of the logs (rendering and scoring the
// images is most of it); they include the narrow cam_front whose windows
// the issue reported miscalibrated with the true calibration.
var frontCameras = []string{"cam_front", "cam_front_left", "cam_front_right"}

// With the true calibration no time window of any camera is
// miscalibrated, over 5 seeds of both presets (8 s logs: four 2 s
// windows per camera). Before the window verdicts counted only the
// observed directions, seed 2 of the urban rig had a cam_front window at
// 0.52 (miscalibrated) from the −0.5° optical-roll probe, with 4
// horizontal depth-edge points in the window. Cost: the urban logs are
// most of it (about 8 s of CPU each); -short runs seeds 1 and 2, -race seed 1.
func TestWindowsTrueCalibration(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if raceEnabled {
		seeds = seeds[:1] // the window rule has no concurrency; -race is 10× slower
	} else if testing.Short() {
		seeds = seeds[:2]
	}
	for _, preset := range []string{"minimal", "urban"} {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed%d", preset, seed), func(t *testing.T) {
				t.Parallel()
				var cams []string
				if preset == "urban" {
					cams = frontCameras
				}
				byCam := windowsOf(t, windowConfig(t, preset, seed, cams...))
				if len(byCam) == 0 {
					t.Fatal("no camera checked")
				}
				for cam, ws := range byCam {
					if len(ws) < 4 {
						t.Errorf("%s: %d windows in 8 s, want 4", cam, len(ws))
					}
					for i, w := range ws {
						if w.Verdict != check.OK {
							t.Logf("%s window %d (%d frames): %.2f %s: %s", cam, i, w.Frames, w.Score, w.Verdict, w.Note)
						}
						if w.Verdict == check.Miscalibrated || w.Verdict == check.Suspicious {
							t.Errorf("%s window %d: %s (score %.2f) with the true calibration", cam, i, w.Verdict, w.Score)
						}
						if w.Verdict == check.Inconclusive && w.Note == "" {
							t.Errorf("%s window %d: inconclusive without a reason", cam, i)
						}
					}
				}
			})
		}
	}
}

// A true 0.5° base-yaw error of the urban cam_front (the optical pitch,
// the fault's Δ in optical axes) still gives miscalibrated windows, and no
// window of that camera is ok or inconclusive: the windows count the
// horizontal image direction as before.
func TestWindowsMiscalibrated(t *testing.T) {
	t.Parallel()
	cfg := windowConfig(t, "urban", 1, "cam_front")
	cfg.Faults = []fixtures.Fault{fault(t, fixtures.Miscalibrate, "cam_front=0,0.5,0,0,0,0")}
	ws := windowsOf(t, cfg)["cam_front"]
	mis := 0
	for i, w := range ws {
		t.Logf("window %d (%d frames): %.2f %s %s", i, w.Frames, w.Score, w.Verdict, w.Note)
		if w.Verdict == check.Miscalibrated {
			mis++
		}
		if w.Verdict == check.OK || w.Verdict == check.Inconclusive {
			t.Errorf("window %d: %s (score %.2f) for a camera 0.5° off", i, w.Verdict, w.Score)
		}
	}
	if mis == 0 {
		t.Errorf("no miscalibrated window of %d for a camera 0.5° off", len(ws))
	}
}

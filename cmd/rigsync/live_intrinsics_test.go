package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/internal/app/liveapp"
)

// TestLiveRigIntrinsics: a live MJPEG camera sends 160×96 images, the rig
// calibrated it at 120×72. live fails naming the stream and both sizes;
// with --scale-intrinsics every frame carries the rig's K scaled by 4/3
// (checked numerically) and the summary warns once about the scaling and
// once about the --with log's CameraInfo that disagrees with the rig's
// cam_front fx (the rig's is used).
func TestLiveRigIntrinsics(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for about 2 s")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1s", "--camera-size", "160x96", "-q", "-o", log); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	const w, h = 160, 96
	rigPath := liveRig(t, log, 120, 72)
	rg := loadRigT(t, rigPath)
	front, err := rg.Sensor("cam_front")
	if err != nil {
		t.Fatal(err)
	}
	logFx := front.Intrinsics.Fx
	front.Intrinsics.Fx *= 0.9
	writeRigT(t, rigPath, rg)
	srv := startMJPEG(t, rtsptest.Config{Path: "/cam_live", SRPeriod: 200 * time.Millisecond}, w, h, 60)

	code, _, errs := runCLI(t, "live", "--rig", rigPath, srv.URL(), "--with", log, "--transport", "tcp", "-o", filepath.Join(dir, "refused"))
	for _, want := range []string{"camera stream cam_live", "a 160×96 image", "rig.yaml calibrated camera cam_live at 120×72", "--scale-intrinsics"} {
		if code != exitError || !strings.Contains(errs, want) {
			t.Errorf("160×96 camera, rig at 120×72: exit %d (%s), want %d mentioning %q", code, strings.TrimSpace(errs), exitError, want)
		}
	}

	out := filepath.Join(dir, "scaled")
	code, stdout, errs := runCLI(t, "live", "--rig", rigPath, srv.URL(), "--with", log, "--transport", "tcp", "--scale-intrinsics", "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("--scale-intrinsics: exit %d\n%s\n%s", code, stdout, errs)
	}
	var sum liveapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	cam, err := rg.Sensor("cam_live")
	if err != nil {
		t.Fatal(err)
	}
	r := cam.Intrinsics
	const s = 160.0 / 120 // = 96/72
	want := [9]float64{r.Fx * s, 0, (r.Cx+0.5)*s - 0.5, 0, r.Fy * s, (r.Cy+0.5)*s - 0.5, 0, 0, 1}
	seen := 0
	for i := range sum.Frames {
		b, err := os.ReadFile(filepath.Join(out, frames.DirName(i), "frame.json"))
		if err != nil {
			t.Fatal(err)
		}
		var fd struct {
			Cameras []struct {
				Name       string       `json:"name"`
				Intrinsics fjIntrinsics `json:"intrinsics"`
			} `json:"cameras"`
		}
		if err := json.Unmarshal(b, &fd); err != nil {
			t.Fatal(err)
		}
		for _, c := range fd.Cameras {
			switch c.Name {
			case "cam_live":
				seen++
				for k := range want {
					if math.Abs(c.Intrinsics.K[k]-want[k]) > 1e-9 || c.Intrinsics.Width != w || c.Intrinsics.Height != h {
						t.Fatalf("frame %d cam_live: %d×%d K %v, want %d×%d K %v", i, c.Intrinsics.Width, c.Intrinsics.Height, c.Intrinsics.K, w, h, want)
					}
				}
			case "cam_front":
				if c.Intrinsics.K[0] != front.Intrinsics.Fx {
					t.Fatalf("frame %d cam_front fx %g, want the rig's %g (the log's is %g)", i, c.Intrinsics.K[0], front.Intrinsics.Fx, logFx)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatalf("no frame has cam_live (%d frames)", sum.Frames)
	}
	scaled := slices.IndexFunc(sum.Warnings, func(x string) bool {
		return strings.HasPrefix(x, "cam_live: rig.yaml intrinsics (120×72) scaled to the 160×96 images (camera stream cam_live")
	})
	disagree := slices.IndexFunc(sum.Warnings, func(x string) bool {
		return strings.HasPrefix(x, "cam_front: the log's CameraInfo ("+log+" topic /cam_front/camera_info) disagrees with rig.yaml") &&
			strings.HasSuffix(x, ": fx 80 vs 72")
	})
	if len(sum.Warnings) != 2 || scaled < 0 || disagree < 0 {
		t.Errorf("warnings %q, want one about scaling cam_live and one about cam_front's CameraInfo", sum.Warnings)
	}
}

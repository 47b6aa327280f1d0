package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// writeRigInit drafts rig.yaml from log ("rig init"), lets edit change it
// and writes it to a temporary file.
func writeRigInit(t *testing.T, log string, edit func(*rig.Rig)) string {
	t.Helper()
	code, yml, errs := runCLI(t, "rig", "init", log)
	if code != exitOK {
		t.Fatalf("rig init: exit %d: %s", code, errs)
	}
	rg, err := rig.Load(strings.NewReader(yml))
	if err != nil {
		t.Fatal(err)
	}
	edit(rg)
	var buf bytes.Buffer
	if err := rg.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rig.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// frameJSONIntrinsics reads the camera intrinsics of every frame.json
// below out.
func frameJSONIntrinsics(t *testing.T, out string) []fjIntrinsics {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, "*", "frame.json"))
	if len(files) == 0 {
		t.Fatalf("no frame.json in %s", out)
	}
	var all []fjIntrinsics
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fj struct {
			Cameras []struct {
				Name       string       `json:"name"`
				Intrinsics fjIntrinsics `json:"intrinsics"`
			} `json:"cameras"`
		}
		if err := json.Unmarshal(b, &fj); err != nil {
			t.Fatal(err)
		}
		for _, c := range fj.Cameras {
			all = append(all, c.Intrinsics)
		}
	}
	return all
}

type fjIntrinsics struct {
	Width  int        `json:"width"`
	Height int        `json:"height"`
	K      [9]float64 `json:"K"`
}

// TestFuseRigIntrinsics: rig.yaml's cam_front fx is 10% below the log's
// CameraInfo (the truth). Every output format carries the rig's fx
// (frame.json K, nuScenes calibrated_sensor.camera_intrinsic, KITTI P0),
// the summary names rig.yaml as the intrinsics' source and warns once
// about the disagreement, in --json and in words.
func TestFuseRigIntrinsics(t *testing.T) {
	log, tr := genLog(t, "drive", "--tf")
	truth := tr.Sensor("cam_front").Camera
	fx := 0.9 * truth.Fx
	rigPath := writeRigInit(t, log, func(rg *rig.Rig) {
		s, err := rg.Sensor("cam_front")
		if err != nil {
			t.Fatal(err)
		}
		s.Intrinsics.Fx = fx
	})
	dir := t.TempDir()
	for _, format := range []string{"frames", "nuscenes", "kitti"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, format)
			code, stdout, errs := runCLI(t, "fuse", log, "--rig", rigPath, "--format", format, "-o", out, "--json")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var sum fuseapp.Summary
			if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
				t.Fatal(err)
			}
			if got := sum.CalibSource["cam_front"]; got != "extrinsic rig.yaml; intrinsics rig.yaml" {
				t.Errorf("cam_front calibration source %q", got)
			}
			wantWarn := "cam_front: the log's CameraInfo (" + log + " topic /cam_front/camera_info) disagrees with rig.yaml, whose intrinsics are used (log vs rig.yaml): fx 240 vs 216"
			if len(sum.Warnings) != 1 || sum.Warnings[0] != wantWarn {
				t.Errorf("warnings %q, want exactly [%q]", sum.Warnings, wantWarn)
			}
			switch format {
			case "frames":
				ins := frameJSONIntrinsics(t, out)
				if len(ins) != sum.Frames {
					t.Errorf("%d camera entries in %d frames", len(ins), sum.Frames)
				}
				for _, in := range ins {
					if in.K[0] != fx || in.K[4] != truth.Fy {
						t.Fatalf("frame.json K %v, want the rig's fx %g (the log's is %g)", in.K, fx, truth.Fx)
					}
				}
			case "nuscenes":
				b, err := os.ReadFile(filepath.Join(out, "v1.0-rigsync", "calibrated_sensor.json"))
				if err != nil {
					t.Fatal(err)
				}
				var rows []struct {
					K [][]float64 `json:"camera_intrinsic"`
				}
				if err := json.Unmarshal(b, &rows); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, r := range rows {
					if len(r.K) == 3 {
						n++
						if r.K[0][0] != fx || r.K[1][1] != truth.Fy {
							t.Errorf("calibrated_sensor camera_intrinsic %v, want fx %g", r.K, fx)
						}
					}
				}
				if n != 1 {
					t.Errorf("%d camera calibrated_sensor rows, want 1", n)
				}
			case "kitti":
				files, _ := filepath.Glob(filepath.Join(out, "calib", "*.txt"))
				if len(files) != sum.Frames {
					t.Fatalf("%d calib files, %d frames", len(files), sum.Frames)
				}
				b, err := os.ReadFile(files[0])
				if err != nil {
					t.Fatal(err)
				}
				line, _, _ := strings.Cut(string(b), "\n")
				f := strings.Fields(line)
				p00, err := strconv.ParseFloat(f[1], 64)
				if f[0] != "P0:" || err != nil || math.Abs(p00-fx) > 1e-9*fx {
					t.Errorf("KITTI %q, want P0 with fx %g", line, fx)
				}
			}
		})
	}
	// In words.
	code, stdout, errs := runCLI(t, "fuse", log, "--rig", rigPath, "-o", filepath.Join(dir, "words"))
	if code != exitOK || strings.Count(stdout, "disagrees with rig.yaml") != 1 || !strings.Contains(stdout, "warnings:\n  cam_front: the log's CameraInfo") {
		t.Errorf("exit %d (%s), summary:\n%s", code, errs, stdout)
	}
}

// TestFuseRigIntrinsicsImageSize: the log's camera delivers 640×400
// images, rig.yaml calibrated it at 480×300 (the true intrinsics at that
// size). fuse fails naming the log, topic and both sizes; with
// --scale-intrinsics it scales K to the images (checked numerically) and
// says so; --scale-intrinsics without --rig is a usage error.
func TestFuseRigIntrinsicsImageSize(t *testing.T) {
	small, str := genLog(t, "small", "--tf")
	big, _ := genLog(t, "big", "--tf", "--camera-size", "640x400")
	c := str.Sensor("cam_front").Camera
	if c.Width != 480 || c.Height != 300 {
		t.Fatalf("small fixture camera %d×%d", c.Width, c.Height)
	}
	rigPath := writeRigInit(t, small, func(*rig.Rig) {})
	dir := t.TempDir()
	code, _, errs := runCLI(t, "fuse", big, "--rig", rigPath, "-o", filepath.Join(dir, "refused"))
	for _, want := range []string{big + " topic /cam_front/image_raw/compressed", "a 640×400 image", "calibrated camera cam_front at 480×300", "--scale-intrinsics"} {
		if code != exitError || !strings.Contains(errs, want) {
			t.Errorf("640×400 images, rig at 480×300: exit %d (%s), want %d mentioning %q", code, strings.TrimSpace(errs), exitError, want)
		}
	}
	out := filepath.Join(dir, "scaled")
	code, stdout, errs := runCLI(t, "fuse", big, "--rig", rigPath, "--scale-intrinsics", "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("--scale-intrinsics: exit %d: %s", code, errs)
	}
	var sum fuseapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	const s = 640.0 / 480 // = 400/300
	want := [9]float64{c.Fx * s, 0, (c.Cx+0.5)*s - 0.5, 0, c.Fy * s, (c.Cy+0.5)*s - 0.5, 0, 0, 1}
	for _, in := range frameJSONIntrinsics(t, out) {
		for i := range want {
			if in.Width != 640 || in.Height != 400 || math.Abs(in.K[i]-want[i]) > 1e-9 {
				t.Fatalf("frame.json %d×%d K %v, want 640×400 K %v", in.Width, in.Height, in.K, want)
			}
		}
	}
	scaled := 0
	for _, w := range sum.Warnings {
		scaled += strings.Count(w, "cam_front: rig.yaml intrinsics (480×300) scaled to the 640×400 images")
	}
	if scaled != 1 {
		t.Errorf("warnings %q, want one about scaling cam_front", sum.Warnings)
	}
	if code, _, errs := runCLI(t, "fuse", big, "--scale-intrinsics", "-o", filepath.Join(dir, "norig")); code != exitUsage || !strings.Contains(errs, "--rig") {
		t.Errorf("--scale-intrinsics without --rig: exit %d (%s), want %d", code, errs, exitUsage)
	}
}

// TestCalibCheckRigIntrinsics: calib check --rig warns in words (and in
// --json) once about a log CameraInfo that disagrees with the rig;
// --scale-intrinsics needs --rig.
func TestCalibCheckRigIntrinsics(t *testing.T) {
	log, tr := genLog(t, "drive", "--tf")
	fx := 0.9 * tr.Sensor("cam_front").Camera.Fx
	rigPath := writeRigInit(t, log, func(rg *rig.Rig) {
		s, err := rg.Sensor("cam_front")
		if err != nil {
			t.Fatal(err)
		}
		s.Intrinsics.Fx = fx
	})
	want := "cam_front: the log's CameraInfo (" + log + " topic /cam_front/camera_info) disagrees with rig.yaml, whose intrinsics are used (log vs rig.yaml): fx 240 vs 216"
	args := []string{"calib", "check", log, "--rig", rigPath, "--kinds", "lidar-camera", "--max-frames", "5"}
	_, stdout, errs := runCLI(t, args...)
	if strings.Count(stdout, "warning: ") != 1 || !strings.Contains(stdout, "warning: "+want+"\n") {
		t.Errorf("calib check --rig: %s\n%s", errs, stdout)
	}
	_, stdout, errs = runCLI(t, append(args, "--json")...)
	rep := decodeReport(t, stdout)
	if len(rep.Warnings) != 1 || rep.Warnings[0] != want {
		t.Errorf("--json warnings %q (%s), want [%q]", rep.Warnings, errs, want)
	}
	if code, _, errs := runCLI(t, "calib", "check", log, "--scale-intrinsics"); code != exitUsage || !strings.Contains(errs, "--rig") {
		t.Errorf("--scale-intrinsics without --rig: exit %d (%s), want %d", code, errs, exitUsage)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// genLog runs "fixtures generate" with args and returns the log's path
// and its truth.
func genLog(t *testing.T, name string, args ...string) (string, *fixtures.Truth) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".mcap")
	args = append([]string{"fixtures", "generate", "--preset", "minimal", "--duration", "1s", "-q", "-o", path}, args...)
	if code, _, errs := runCLI(t, args...); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	f, err := os.Open(strings.TrimSuffix(path, ".mcap") + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := fixtures.LoadTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	return path, tr
}

// TestFuseRig: /tf_static has cam_front 2° and 5 cm off; "rig init"
// drafts rig.yaml from the log, the camera's extrinsic is set to the true
// one, and fuse --rig writes the true extrinsic into frame.json and says
// it came from rig.yaml (the LiDAR's still from /tf_static).
func TestFuseRig(t *testing.T) {
	log, tr := genLog(t, "miscal", "--tf", "--miscalibrate", "cam_front=0,0,2,0.05,0,0")
	code, yml, errs := runCLI(t, "rig", "init", log)
	if code != exitOK {
		t.Fatalf("rig init: exit %d: %s", code, errs)
	}
	rg, err := rig.Load(strings.NewReader(yml))
	if err != nil {
		t.Fatal(err)
	}
	cam, err := rg.Sensor("cam_front")
	if err != nil {
		t.Fatal(err)
	}
	truth := tr.Sensor("cam_front").Extrinsic
	cam.Extrinsic = &rig.Extrinsic{Translation: truth.Translation[:], RotationXYZW: truth.RotationXYZW[:]}
	var buf bytes.Buffer
	if err := rg.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rigPath := filepath.Join(t.TempDir(), "rig.yaml")
	if err := os.WriteFile(rigPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, errs := runCLI(t, "fuse", log, "--rig", rigPath, "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("fuse --rig: exit %d: %s", code, errs)
	}
	var sum fuseapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if got := sum.CalibSource["cam_front"]; got != "extrinsic rig.yaml; intrinsics rig.yaml" {
		t.Errorf("cam_front calibration source %q", got)
	}
	if sum.Rig != rigPath {
		t.Errorf("summary rig %q", sum.Rig)
	}
	b, err := os.ReadFile(filepath.Join(out, "000000", "frame.json"))
	if err != nil {
		matches, _ := filepath.Glob(filepath.Join(out, "*", "frame.json"))
		if len(matches) == 0 {
			t.Fatal(err)
		}
		b, _ = os.ReadFile(matches[0])
	}
	var fj struct {
		Sensors []struct {
			Name        string `json:"name"`
			Calibration string `json:"calibration"`
		} `json:"sensors"`
		Cameras []struct {
			Name      string `json:"name"`
			Extrinsic struct {
				Translation [3]float64 `json:"translation_m"`
			} `json:"extrinsic"`
			Static struct {
				Name        string     `json:"name"`
				Translation [3]float64 `json:"translation_m"`
			} `json:"static_extrinsic"`
		} `json:"cameras"`
	}
	if err := json.Unmarshal(b, &fj); err != nil {
		t.Fatal(err)
	}
	if len(fj.Cameras) != 1 {
		t.Fatalf("frame.json: %d cameras", len(fj.Cameras))
	}
	found := false
	for _, s := range fj.Sensors {
		if s.Name == "cam_front" {
			found = true
			if s.Calibration != sum.CalibSource["cam_front"] {
				t.Errorf("frame.json cam_front calibration %q, summary %q", s.Calibration, sum.CalibSource["cam_front"])
			}
		}
	}
	if !found {
		t.Errorf("frame.json has no cam_front sensor entry")
	}
	pub := tr.Sensor("cam_front").Published.Translation
	got := fj.Cameras[0].Extrinsic.Translation
	// frame.json's extrinsic folds in the ego motion between the LiDAR
	// and the camera time (along x at 10 m/s); y and z tell the
	// calibrations apart (the miscalibration moved the camera 5 cm in y).
	var dTruth, dPub float64
	for i := 1; i < 3; i++ {
		dTruth += math.Abs(got[i] - truth.Translation[i])
		dPub += math.Abs(got[i] - pub[i])
	}
	if dTruth > 0.002 || dPub < 0.04 {
		t.Errorf("frame.json cam_front translation %v: truth %v, /tf_static %v", got, truth.Translation, pub)
	}
	// The static extrinsic is the rig's calibration itself, x included.
	st := fj.Cameras[0].Static
	for i := range 3 {
		if math.Abs(st.Translation[i]-truth.Translation[i]) > 1e-6 || st.Name != "T_base_link_cam_front" {
			t.Errorf("frame.json %s translation %v, want the rig's %v", st.Name, st.Translation, truth.Translation)
			break
		}
	}
	// Errors name the file.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nbase_frame: base_link\nsensors:\n  - name: x\n    modality: sonar\n"), 0o644)
	if code, _, errs := runCLI(t, "fuse", log, "--rig", bad, "-o", filepath.Join(t.TempDir(), "o")); code != exitError || !strings.Contains(errs, bad) {
		t.Errorf("bad rig: exit %d, %q", code, errs)
	}
}

// TestFuseSeveralLogs: a second log of the same drive (same seed, another
// rig: only a radar) is merged in: the radar joins every frame of the
// first log's LiDAR.
func TestFuseSeveralLogs(t *testing.T) {
	a, _ := genLog(t, "a", "--tf")
	rigJSON := filepath.Join(t.TempDir(), "radar.json")
	os.WriteFile(rigJSON, []byte(`{"radars":[{"name":"radar_front","mount":{"x":3.7,"z":0.5},"hfov_deg":90,"vfov_deg":12,"max_range":100,"rate_hz":20,"range_noise":0.08,"azimuth_noise_deg":0.3,"doppler_noise":0.05,"max_per_object":6,"latency_ms":15}]}`), 0o644)
	b, _ := genLog(t, "b", "--rig", rigJSON)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, errs := runCLI(t, "fuse", a, b, "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("fuse A B: exit %d: %s", code, errs)
	}
	var sum fuseapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Frames != 10 || len(sum.Logs) != 2 {
		t.Fatalf("%d frames from logs %v", sum.Frames, sum.Logs)
	}
	for _, name := range []string{"lidar_top", "cam_front", "radar_front"} {
		if c := sum.Completeness[name]; c != 1 {
			t.Errorf("%s completeness %.2f, want 1 (completeness %v)", name, c, sum.Completeness)
		}
	}
	if !strings.Contains(sum.CalibSource["radar_front"], "extrinsic /tf_static") {
		t.Errorf("radar_front calibration source %q", sum.CalibSource["radar_front"])
	}
	// A missing second log is an error naming it.
	if code, _, errs := runCLI(t, "fuse", a, "/no/such.mcap", "-o", filepath.Join(t.TempDir(), "o")); code != exitError || !strings.Contains(errs, "/no/such.mcap") {
		t.Errorf("missing log: exit %d, %q", code, errs)
	}
}

// TestFuseClockAuto: a camera clock 25 ms off; --clock auto with the
// camera's latency finds it (±1 ms) and applies it, leaves the LiDAR
// alone, and the frames flag the camera clock_corrected.
func TestFuseClockAuto(t *testing.T) {
	log, tr := genLog(t, "clock", "--tf", "--clock-offset", "cam_front=25ms")
	lat := time.Duration(tr.Sensor("cam_front").LatencyNS)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, errs := runCLI(t, "fuse", log, "--clock", "auto", "--latency", "cam_front="+lat.String(), "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var sum fuseapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range sum.Clocks {
		switch c.Sensor {
		case "cam_front":
			seen++
			if c.Applied != "full" || math.Abs(float64(c.Model.Offset)-25e6) > 1e6 {
				t.Errorf("cam_front: applied %q model %v, want full ≈ 25ms", c.Applied, c.Model)
			}
		case "lidar_top":
			seen++
			if c.Applied != "none" {
				t.Errorf("lidar_top: applied %q %v", c.Applied, c.Model)
			}
		}
	}
	if seen != 2 {
		t.Errorf("clocks %+v", sum.Clocks)
	}
	code, text, _ := runCLI(t, "fuse", log, "--clock", "auto", "--latency", "cam_front="+lat.String(), "-o", filepath.Join(t.TempDir(), "o2"))
	if code != exitOK || !strings.Contains(text, "clocks:") || !strings.Contains(text, "cam_front") {
		t.Errorf("text summary (exit %d) lacks the clocks:\n%s", code, text)
	}
}

func TestFuseUsageErrors(t *testing.T) {
	log := fuseFixture(t)
	o := filepath.Join(t.TempDir(), "o")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"latency without auto", []string{"--latency", "cam_front=30ms"}, exitUsage, "--clock auto"},
		{"bad latency", []string{"--clock", "auto", "--latency", "cam_front"}, exitUsage, "--latency"},
		{"bad clock", []string{"--clock", "cam_front"}, exitUsage, "--clock"},
		{"bad origin", []string{"--gnss-origin", "48,11"}, exitUsage, "--gnss-origin"},
		{"bad ego", []string{"--ego", "gps"}, exitUsage, "--ego"},
		{"negative image check", []string{"--image-check-every", "-1"}, exitUsage, "--image-check-every"},
		{"no gnss", []string{"--ego", "gnss"}, exitError, "no GNSS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"fuse", log, "-o", o}, tc.args...)
			code, _, errs := runCLI(t, args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (%q), want %d mentioning %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

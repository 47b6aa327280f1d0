package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRigCheckedAgainstItselfAndLog (issue 17 item 9): every command that
// takes --rig refuses impossible rig values and a camera declared over a
// LiDAR's frame, and prints the suspicious ones as warnings, text and JSON
// (all were accepted silently with exit 0).
func TestRigCheckedAgainstItselfAndLog(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "min.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1s", "-o", log, "-q"); code != exitOK {
		t.Fatalf("fixtures: %s", errs)
	}
	code, rigText, errs := runCLI(t, "rig", "init", log)
	if code != exitOK {
		t.Fatalf("rig init: %s", errs)
	}
	write := func(name, old, new string) string {
		t.Helper()
		if !strings.Contains(rigText, old) {
			t.Fatalf("rig init output has no %q:\n%s", old, rigText)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Replace(rigText, old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	suspicious := write("far.yaml", "translation: [0.3, -0.1, 0.45]", "translation: [150, -0.1, 0.45]")
	lidarAsCamera := write("cam.yaml", "modality: lidar", "modality: camera")
	sharedFrame := write("shared.yaml", "frame: lidar_top", "frame: cam_front")
	hugeOffset := write("offset.yaml", "    missing: [clock]\n", "    clock: {offset_ns: 9223372036854775807}\n")

	for _, c := range []struct {
		name string
		args []string
	}{
		{"fuse", []string{"fuse", log, "-o", filepath.Join(dir, "out"), "--force", "-q"}},
		{"calib check", []string{"calib", "check", log, "--max-frames", "3"}},
	} {
		for _, bad := range []struct{ rig, want string }{
			{lidarAsCamera, `sensor lidar_top is a camera, but the log's data on frame "lidar_top" is lidar`},
			{sharedFrame, "share frame"},
			{hugeOffset, "beyond ±1 day"},
		} {
			code, _, errs := runCLI(t, append(c.args, "--rig", bad.rig)...)
			if code != exitError || !strings.Contains(errs, bad.want) {
				t.Errorf("%s --rig %s: exit %d, %q; want exit 1 with %q", c.name, filepath.Base(bad.rig), code, errs, bad.want)
			}
		}
		_, out, _ := runCLI(t, append(c.args, "--rig", suspicious)...)
		if !strings.Contains(out, "rig: sensor imu: 150 m from the base frame") {
			t.Errorf("%s: text output has no warning about the 150 m:\n%s", c.name, out)
		}
		_, out, _ = runCLI(t, append(c.args, "--rig", suspicious, "--json")...)
		var v struct{ Warnings []string }
		if err := json.Unmarshal([]byte(out), &v); err != nil || !strings.Contains(strings.Join(v.Warnings, "\n"), "150 m from the base frame") {
			t.Errorf("%s --json: warnings %q (%v)", c.name, v.Warnings, err)
		}
	}
}

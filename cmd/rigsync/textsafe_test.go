package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// escRig is the minimal fixture rig with hostile sensor names: an OSC
// that sets the terminal title, a clear-screen, a colour and a C1 CSI.
var escRig = map[string]any{
	"cameras": []any{map[string]any{"name": "cam\x1b]0;pwned\x07\x1b[2J", "mount": map[string]any{"x": 1.6, "z": 1.5, "pitch_deg": 2},
		"width": 480, "height": 300, "hfov_deg": 90, "model": "plumb_bob", "d": []float64{-0.08, 0.015, 0.0004, -0.0003, 0},
		"rate_hz": 10, "quality": 85, "exposure_ms": 4, "latency_ms": 30}},
	"lidars": []any{map[string]any{"name": "lidar\x1b[31mred\u009b1m", "mount": map[string]any{"x": 1.1, "z": 1.95, "roll_deg": 0.3},
		"beams": 32, "columns": 512, "min_elevation_deg": -24.9, "max_elevation_deg": 2, "rate_hz": 10, "max_range": 120,
		"range_noise": 0.01, "stamp_at": "start", "latency_ms": 8}},
	"imu": map[string]any{"name": "imu\x1b[0m", "mount": map[string]any{"x": 0.3, "z": 0.45}, "rate_hz": 200, "accel_noise": 0.02,
		"gyro_noise": 0.0015, "accel_bias": []float64{0.04, -0.03, 0.05}, "gyro_bias": []float64{0.002, -0.001, 0.0015}, "latency_ms": 2},
}

// controls lists the C0 (but newline and tab), DEL and C1 characters and
// the bytes that are not UTF-8 in out.
func controls(out string) []string {
	var bad []string
	for i := 0; i < len(out); {
		r, n := utf8.DecodeRuneInString(out[i:])
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r == utf8.RuneError && n == 1 {
			lo, hi := max(0, i-20), min(len(out), i+20)
			bad = append(bad, out[lo:hi])
		}
		i += n
	}
	return bad
}

// TestNoTerminalEscapes (issue 17 item 6): a log whose topic and frame
// names hold ESC sequences and a C1 CSI prints no control character (but
// newline and tab) on stdout or stderr of any command, text or JSON; the
// names are shown escaped (\x1b), and JSON still decodes to the names.
// Before, info, sync, calib show, calib check and the fuse summary printed
// them raw, and JSON carried the C1 character raw.
func TestNoTerminalEscapes(t *testing.T) {
	dir := t.TempDir()
	rigPath := filepath.Join(dir, "rig.json")
	b, _ := json.Marshal(escRig)
	if err := os.WriteFile(rigPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "esc.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--rig", rigPath, "--duration", "1s", "-o", log, "-q"); code != exitOK {
		t.Fatalf("fixtures: exit %d: %s", code, errs)
	}
	cmds := [][]string{
		{"info", log},
		{"sync", log},
		{"calib", "show", log},
		{"fuse", log, "-o", filepath.Join(dir, "frames"), "-q", "--force"},
		{"fuse", log, "-o", filepath.Join(dir, "k"), "--format", "kitti", "--kitti-camera", "nope"}, // an error listing the cameras
		{"calib", "check", log, "--max-frames", "3"},
		{"rig", "init", log},
		{"cat", log, "--limit", "20"},
	}
	for _, c := range cmds {
		for _, js := range []bool{false, true} {
			args := c
			if js && c[0] != "rig" {
				args = append(append([]string(nil), c...), "--json")
			} else if js {
				continue
			}
			code, out, errs := runCLI(t, args...)
			name := strings.Join(args, " ")
			if code != exitOK && code != exitProblems && code != exitUsage {
				t.Errorf("%s: exit %d: %.300s", name, code, errs)
			}
			if bad := controls(out + errs); len(bad) > 0 {
				t.Errorf("%s: %d control characters, e.g. %q", name, len(bad), bad[0])
			}
			if !strings.Contains(out+errs, `\x1b`) && !strings.Contains(out+errs, `\u001b`) && !strings.Contains(out+errs, `\e`) {
				t.Errorf("%s: the hostile names are not shown escaped: %.300s", name, out+errs)
			}
			if js && c[0] != "cat" && code != exitUsage {
				var v any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Errorf("%s: not JSON: %v", name, err)
				}
			}
		}
	}
}

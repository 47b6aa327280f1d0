package main

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
)

func catLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line is not JSON: %v: %.200s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

func TestCatRealLog(t *testing.T) {
	path := filepath.Join(shareddata.Dir(t, "mcap", "real"), "husky-imu-odom-gps_robot-localization-test1.ros1.mcap")
	truth := groundTruth(t, path)
	code, out, errs := runCLI(t, "cat", path, "--topic", "/fix")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := catLines(t, out)
	if uint64(len(lines)) != truth["/fix"][0] {
		t.Fatalf("%d lines, want %d /fix messages", len(lines), truth["/fix"][0])
	}
	prev := 0.0
	for _, l := range lines {
		if l["topic"] != "/fix" || l["modality"] != "gnss" || l["stamp_clock"] == "log" {
			t.Fatalf("bad envelope: %v", l)
		}
		lt := l["log_time_ns"].(float64)
		if lt < prev {
			t.Fatalf("not in log-time order: %v after %v", lt, prev)
		}
		prev = lt
		msg := l["message"].(map[string]any)
		if lat := msg["latitude"].(float64); lat < 42.37 || lat > 42.38 {
			t.Fatalf("latitude %v, want ≈42.3758", lat)
		}
	}
	// --limit, a relative time window, and summaries of long arrays.
	code, out, _ = runCLI(t, "cat", path, "--topic", "/imu/data", "--start", "+10s", "--end", "+20s", "--limit", "5")
	lines = catLines(t, out)
	if code != exitOK || len(lines) != 5 {
		t.Fatalf("exit %d, %d lines, want 5", code, len(lines))
	}
	first := float64(truth["/imu/data"][1])
	for _, l := range lines {
		if lt := l["log_time_ns"].(float64); lt < first+10e9-1 {
			t.Errorf("message at %v before --start +10s", lt)
		}
	}
	cov := lines[0]["message"].(map[string]any)["orientation_covariance"]
	if arr, ok := cov.([]any); !ok || len(arr) != 9 {
		t.Errorf("orientation_covariance = %v, want 9 numbers (short arrays are not summarised)", cov)
	}
}

// A channel with an unknown message encoding gets a per-channel error that
// names it, in both info and cat; cat exits 1.
func TestWrongEncodingChannel(t *testing.T) {
	path := filepath.Join(shareddata.Dir(t, "mcap", "ros2-cdr-typed"), "wrong_rmw_test_0.mcap")
	rep := infoJSON(t, path)
	found := false
	for _, p := range rep.Problems {
		if p.Kind == "decode" && strings.Contains(p.Message, "wrong_format") && p.Topic != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no decode problem naming wrong_format: %+v", rep.Problems)
	}
	code, out, errs := runCLI(t, "cat", path)
	if code != exitError || !strings.Contains(errs, "could not be decoded") {
		t.Errorf("cat exit %d (%s), want %d", code, errs, exitError)
	}
	for _, l := range catLines(t, out) {
		if e, _ := l["error"].(string); !strings.Contains(e, "wrong_format") || !strings.Contains(e, l["topic"].(string)) {
			t.Errorf("line error %q does not name the encoding and topic", e)
		}
	}
}

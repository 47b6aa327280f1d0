package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFixturesGenerate(t *testing.T) {
	dir := t.TempDir()
	gen := func(name string, extra ...string) (int, string, string) {
		var out, errb bytes.Buffer
		args := append([]string{"fixtures", "generate", "--preset", "minimal", "--duration", "500ms", "--seed", "3",
			"-o", filepath.Join(dir, name)}, extra...)
		code := run(context.Background(), args, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := gen("a.mcap", "--json", "--clock-offset", "cam_front=10ms", "--dropout", "imu=100ms-200ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var sum struct {
		Log     string `json:"log"`
		Truth   string `json:"truth"`
		Sensors []struct {
			Name     string `json:"name"`
			Messages int    `json:"messages"`
		} `json:"sensors"`
		Faults int `json:"faults"`
		Events int `json:"fault_events"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	// 0.5 s: camera 5, lidar 5, imu 100 − 20 dropped.
	want := map[string]int{"cam_front": 5, "lidar_top": 5, "imu": 80}
	if len(sum.Sensors) != 3 || sum.Faults != 2 || sum.Events != 1 {
		t.Errorf("summary %+v", sum)
	}
	for _, s := range sum.Sensors {
		if s.Messages != want[s.Name] {
			t.Errorf("%s: %d messages, want %d", s.Name, s.Messages, want[s.Name])
		}
	}
	if sum.Truth != filepath.Join(dir, "a.truth.json") {
		t.Errorf("truth path %q", sum.Truth)
	}
	// Deterministic: the same flags give the same bytes.
	if code, _, errs := gen("b.mcap", "-q", "--clock-offset", "cam_front=10ms", "--dropout", "imu=100ms-200ms"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.mcap"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.mcap"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("same flags gave different logs (%d vs %d bytes)", len(a), len(b))
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--drift", "nope=3"}, `unknown sensor "nope"`},
		{[]string{"--encoding", "json"}, "unknown encoding"},
		{[]string{"--knock", "imu=1,2,3"}, "TIME:"},
		{[]string{"--camera-size", "big"}, "WIDTHxHEIGHT"},
		{[]string{"--preset", "rally"}, "unknown preset"},
		{[]string{"--label-fault", "shove=1"}, `unknown kind "shove"`},
		{[]string{"--label-fault", "missing@99999"}, "not a labelled object"},
	} {
		code, _, errs := gen("c.mcap", tc.args...)
		if code != exitUsage || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, errs, tc.msg)
		}
	}
	// --label-fault implies --labels: the labels file is written beside the
	// log and the --json summary counts it.
	code, out, errs = gen("l.mcap", "--json", "--label-fault", "shift=0.5")
	if code != 0 {
		t.Fatalf("--label-fault: exit %d: %s", code, errs)
	}
	var lsum struct {
		Labels      string `json:"labels"`
		LabelFrames int    `json:"label_frames"`
		LabelFaults int    `json:"label_faults"`
	}
	if err := json.Unmarshal([]byte(out), &lsum); err != nil || lsum.Labels != filepath.Join(dir, "l.labels.json") || lsum.LabelFrames != 5 || lsum.LabelFaults != 1 {
		t.Errorf("--label-fault summary %+v (%v)", lsum, err)
	}
	if st, err := os.Stat(lsum.Labels); err != nil || st.Size() == 0 {
		t.Errorf("labels file: %v", err)
	}
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"fixtures", "generate"}, &bytes.Buffer{}, &errb); code != exitUsage {
		t.Errorf("no -o: exit %d (%s)", code, errb.String())
	}
}

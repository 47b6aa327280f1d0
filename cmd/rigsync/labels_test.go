package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genLabelledCLI writes a 2 s minimal fixture drive with its labels
// (label faults applied) through the command line and returns the log and
// labels paths.
func genLabelledCLI(t *testing.T, dir, name string, faults ...string) (string, string) {
	t.Helper()
	log := filepath.Join(dir, name+".mcap")
	args := []string{"fixtures", "generate", "--preset", "minimal", "--duration", "2s", "--seed", "2", "-o", log, "--labels", "-q"}
	for _, f := range faults {
		args = append(args, "--label-fault", f)
	}
	if code, _, errs := runCLI(t, args...); code != 0 {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	return log, filepath.Join(dir, name+".labels.json")
}

// TestLabelsCheckExit: true labels exit 0; shifted boxes exit 4 with the
// shift in --json; a usage error exits 2.
func TestLabelsCheckExit(t *testing.T) {
	dir := t.TempDir()
	log, lab := genLabelledCLI(t, dir, "clean")
	code, out, errs := runCLI(t, "labels", "check", log, "--labels", lab)
	if code != 0 {
		t.Fatalf("true labels: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "ok: ") {
		t.Errorf("text output lacks the verdict line:\n%s", out)
	}
	flog, flab := genLabelledCLI(t, dir, "shifted", "shift=0,0.6")
	code, out, errs = runCLI(t, "labels", "check", flog, "--labels", flab, "--json")
	if code != 4 {
		t.Fatalf("shifted labels: exit %d, want 4\n%s", code, errs)
	}
	var res struct {
		Verdict  string `json:"verdict"`
		Findings []struct {
			ID         string   `json:"id"`
			Kinds      []string `json:"kinds"`
			Correction struct {
				Shift *[3]float64 `json:"shift_m"`
			} `json:"correction"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	var truth struct {
		LabelFaults []struct {
			ID string `json:"id"`
		} `json:"label_faults"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "shifted.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &truth); err != nil || len(truth.LabelFaults) != 1 {
		t.Fatalf("truth label_faults: %v %v", err, truth.LabelFaults)
	}
	shifted := 0
	for _, f := range res.Findings {
		if f.ID == truth.LabelFaults[0].ID && f.Correction.Shift != nil && f.Correction.Shift[1] < -0.45 && f.Correction.Shift[1] > -0.75 {
			shifted++
		}
	}
	if res.Verdict != "wrong" || shifted < 15 {
		t.Errorf("verdict %s, %d boxes of object %s with a shift correction near y −0.6 m (want wrong, ≥ 15 of 20)", res.Verdict, shifted, truth.LabelFaults[0].ID)
	}
	for _, args := range [][]string{
		{"labels", "check", log},
		{"labels", "check", log, "--labels", lab, "--format", "yolo"},
		{"labels", "check", "--labels", lab},
		{"labels", "sync", log, "--labels", lab},
		{"labels", "sync", log, "--labels", lab, "-o", lab},
		{"labels", "chek"},
	} {
		if code, _, errs := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
}

// TestLabelsSyncCLI: labels sync writes rigsync labels JSON with the
// frame's time on every box and camera-synced boxes; --json says so.
func TestLabelsSyncCLI(t *testing.T) {
	dir := t.TempDir()
	log, lab := genLabelledCLI(t, dir, "drive")
	out := filepath.Join(dir, "synced.json")
	code, stdout, errs := runCLI(t, "labels", "sync", log, "--labels", lab, "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Boxes       int `json:"boxes"`
		CameraBoxes int `json:"camera_boxes"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Boxes == 0 || res.CameraBoxes == 0 || !strings.Contains(string(data), `"cameras":[{"camera":"cam_front"`) ||
		!strings.Contains(string(data), `"rigsync.shown_time_ns"`) {
		t.Errorf("sync: %+v; output %.300s", res, data)
	}
}

// TestLabelsHelp: the help teaches: what is checked, the exit codes, and
// examples.
func TestLabelsHelp(t *testing.T) {
	for _, cmd := range [][]string{{"labels", "check", "--help"}, {"labels", "sync", "--help"}, {"labels", "--help"}} {
		code, out, _ := runCLI(t, cmd...)
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "rigsync labels") {
			t.Errorf("%v: exit %d, help:\n%s", cmd, code, out)
		}
	}
	_, out, _ := runCLI(t, "labels", "check", "--help")
	for _, want := range []string{"Exit codes", "4 wrong", "time", "id switches", "--labels"} {
		if !strings.Contains(out, want) {
			t.Errorf("labels check --help lacks %q", want)
		}
	}
}

// labelledLog is a 1 s minimal fixture drive with its labels in dir
// (generated once per dir).
func labelledLog(t *testing.T, dir string) (string, string) {
	t.Helper()
	log := filepath.Join(dir, "labelled.mcap")
	lab := filepath.Join(dir, "labelled.labels.json")
	if _, err := os.Stat(lab); err == nil {
		return log, lab
	}
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1s", "--labels", "-q", "-o", log); code != 0 {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	return log, lab
}

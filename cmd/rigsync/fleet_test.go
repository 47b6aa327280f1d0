package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/app/fleetapp"
)

// TestFleetCLI: fleet scan exits 3 when a log fails the gate and 0 when
// none does, prints the summary as JSON, and fleet find answers a query
// with fuse lines; bad usage exits 2 with a message saying what is wrong.
func TestFleetCLI(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.mcap"), filepath.Join(dir, "bad.mcap")
	for _, args := range [][]string{
		{"fixtures", "generate", "--preset", "minimal", "--duration", "2s", "-q", "-o", good},
		{"fixtures", "generate", "--preset", "minimal", "--duration", "2s", "--seed", "2", "-q", "-o", bad, "--dropout", "cam_front=0.5s-1.7s"},
	} {
		if code, _, errs := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
	}
	out := filepath.Join(dir, "fleet")
	code, stdout, errs := runCLI(t, "fleet", "scan", good, bad, "-o", out, "--json", "--workers", "2")
	if code != exitProblems || !strings.Contains(errs, "1 log(s) failed the gate") {
		t.Fatalf("scan: exit %d, stderr %s", code, errs)
	}
	var sum fleetapp.ScanSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("scan --json: %v\n%s", err, stdout)
	}
	if sum.Coverage.Logs != 2 || sum.Coverage.Failed != 1 || len(sum.Failed) != 1 || sum.Failed[0].Path != bad {
		t.Fatalf("scan summary: %+v", sum)
	}
	code, stdout, errs = runCLI(t, "fleet", "find", out, "cam_front dropout and duration > 1")
	if code != exitOK || !strings.Contains(stdout, "rigsync fuse "+bad+" --start +0.") || !strings.Contains(stdout, "1 scene(s)") {
		t.Fatalf("find: exit %d\n%s\n%s", code, stdout, errs)
	}
	code, stdout, _ = runCLI(t, "fleet", "find", out, "--where", "night", "--json")
	if code != exitOK || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("find --where night --json: exit %d %q", code, stdout)
	}
	// The good log alone passes: exit 0 (and it was not analysed again).
	code, stdout, errs = runCLI(t, "fleet", "scan", good, "-o", out, "--json")
	if code != exitOK || json.Unmarshal([]byte(stdout), &sum) != nil || sum.Skipped != 1 {
		t.Fatalf("scan good: exit %d %s %s", code, stdout, errs)
	}
	// A lenient gate passes the dropout.
	gate := filepath.Join(dir, "gate.yaml")
	os.WriteFile(gate, []byte("dropout_s: {warn: 1, fail: 0}\n"), 0o644)
	if code, _, errs := runCLI(t, "fleet", "scan", bad, "-o", out, "--gate", gate, "-q"); code != exitOK {
		t.Fatalf("scan with a lenient gate: exit %d: %s", code, errs)
	}
	code, stdout, _ = runCLI(t, "fleet", "gate", "--print-default")
	if p, err := fleet.ParsePolicy([]byte(stdout)); code != exitOK || err != nil || p != fleet.DefaultPolicy() {
		t.Fatalf("gate --print-default: exit %d, %v", code, err)
	}

	badGate := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badGate, []byte("dropuot_s: 1\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "scan", good}, "-o FLEET_DIR is required"},
		{[]string{"fleet", "scan", good, "-o", out, "--gate", badGate}, "dropuot_s"},
		{[]string{"fleet", "scan", good, "-o", out, "--gate", filepath.Join(dir, "none.yaml")}, "none.yaml"},
		{[]string{"fleet", "scan", good, "-o", out, "--fuse", "jpeg"}, `--fuse "jpeg"`},
		{[]string{"fleet", "scan", filepath.Join(dir, "*.nothing"), "-o", out}, "matches no file"},
		{[]string{"fleet", "scan", dir, "-o", filepath.Join(dir, "inside")}, "input"},
		{[]string{"fleet", "find", out, "dropout and (night"}, `missing ")"`},
		{[]string{"fleet", "find", out}, "no query"},
		{[]string{"fleet", "find", out, "night", "--where", "stop"}, "not both"},
		{[]string{"fleet", "gate"}, "--print-default"},
		{[]string{"fleet"}, "subcommand"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", tc.args, code, errs, tc.want)
		}
	}
	if code, _, errs := runCLI(t, "fleet", "find", filepath.Join(dir, "nowhere"), "night"); code != exitError || !strings.Contains(errs, "scenes.jsonl") {
		t.Errorf("find in a folder that is no fleet: exit %d %s", code, errs)
	}
}

// TestFleetHelp: the help teaches: the scan help says what is measured
// and the exit codes, the find help the query language, with examples.
func TestFleetHelp(t *testing.T) {
	for _, tc := range []struct {
		cmd  []string
		want []string
	}{
		{[]string{"fleet", "scan", "--help"}, []string{"logs.jsonl", "scenes.jsonl", "coverage.json", "report.html", "content hash", "Exit codes", "rigsync fleet scan drives/ -o fleet/"}},
		{[]string{"fleet", "find", "--help"}, []string{"and, or, not", "speed", "rigsync fleet find fleet/ 'radar_front degraded and speed > 10'"}},
		{[]string{"fleet", "gate", "--help"}, []string{"dropout_s:", "reader_loss: fail"}},
	} {
		code, out, _ := runCLI(t, tc.cmd...)
		for _, w := range tc.want {
			if code != exitOK || !strings.Contains(out, w) {
				t.Errorf("%v: exit %d, lacks %q", tc.cmd, code, w)
			}
		}
	}
}

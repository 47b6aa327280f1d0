package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
)

// lossesJSON is the part of every reading command's --json that reports
// the log readers' losses.
type lossesJSON struct {
	Problems []struct {
		Severity string `json:"severity"`
		Kind     string `json:"kind"`
		File     string `json:"file"`
		Offset   int64  `json:"offset"`
		Message  string `json:"message"`
	} `json:"problems"`
}

// sync, calib check, fuse, labels check and sync, calib show and rig init
// report what the log reader lost, on a
// truncated log and on one with a CRC-damaged chunk: a "problems" list in
// --json (file, offset, kind), a "lost:" section in the text, and exit 3
// with --strict (calib check: 3 or 4, 4 winning when a pair is
// miscalibrated). A healthy log reports none and --strict passes. Before
// the shared losses helper, sync and calib check had no "problems" field
// and no --strict.
func TestCommandsReportLosses(t *testing.T) {
	dir := t.TempDir()
	log := generateDamageLog(t, filepath.Join(dir, "drive.mcap"), 0, 3*time.Second)
	n := len(log.chunks)
	if n < 6 {
		t.Fatalf("fixture has %d chunks", n)
	}
	truncated := filepath.Join(dir, "truncated.mcap")
	copyDamaged(t, log.path, truncated, log.chunks[n/2].offset+300, -1)
	crc := filepath.Join(dir, "crc.mcap")
	copyDamaged(t, log.path, crc, -1, log.chunks[2].offset+400)
	// The drive's true labels (the same config as generateDamageLog's).
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration, cfg.Start, cfg.ChunkSize = 3*time.Second, 0, 256<<10
	cfg.Rig.SetCameraSize(160, 96)
	labelsFile := filepath.Join(dir, "drive.labels.json")
	lf, err := os.Create(labelsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.WriteLabels(cfg, lf); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	cases := []struct {
		path, kind string
		offset     int64
	}{
		{log.path, "", 0},
		{truncated, "truncated", log.chunks[n/2].offset},
		{crc, "damaged", log.chunks[2].offset},
	}
	commands := []struct {
		name string
		args func(path, out string) []string
		// okCodes are the exit codes of a run without --strict (calib
		// check gates on its verdict).
		okCodes []int
		// yaml: stdout is not a report (rig init's YAML): no --json, the
		// lost: section is on stderr.
		yaml bool
	}{
		{"sync", func(p, _ string) []string { return []string{"sync", p} }, []int{exitOK}, false},
		{"fuse", func(p, out string) []string { return []string{"fuse", p, "-o", out} }, []int{exitOK}, false},
		{"calib check", func(p, _ string) []string {
			return []string{"calib", "check", p, "--kinds", "lidar-camera", "--max-frames", "10"}
		}, []int{exitOK, exitProblems, exitMiscalibrated}, false},
		{"labels check", func(p, _ string) []string {
			return []string{"labels", "check", p, "--labels", labelsFile}
		}, []int{exitOK, exitProblems, exitMiscalibrated}, false},
		{"labels sync", func(p, out string) []string { return []string{"labels", "sync", p, "--labels", labelsFile, "-o", out} }, []int{exitOK}, false},
		{"calib show", func(p, _ string) []string { return []string{"calib", "show", p} }, []int{exitOK}, false},
		{"rig init", func(p, _ string) []string { return []string{"calib", "rig", "init", p} }, []int{exitOK}, true},
	}
	for _, cmd := range commands {
		for _, tc := range cases {
			name := cmd.name + "/" + filepath.Base(tc.path)
			t.Run(name, func(t *testing.T) {
				out := func(tag string) string { return filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+tag) }
				if cmd.yaml {
					code, stdout, errs := runCLI(t, append(cmd.args(tc.path, out("text")), "-q")...)
					if !containsInt(cmd.okCodes, code) {
						t.Fatalf("exit %d: %s", code, errs)
					}
					if !strings.Contains(stdout, "sensors:") || strings.Contains(stdout, "lost: ") {
						t.Errorf("stdout is not the YAML alone:\n%s", stdout)
					}
					want := "lost: "
					if tc.kind != "" {
						want = fmt.Sprintf("[%s] %s", tc.kind, tc.path)
					}
					if got := strings.Contains(errs, want); got != (tc.kind != "") {
						t.Errorf("stderr has %q: %v, want %v\n%s", want, got, tc.kind != "", errs)
					}
				} else {
					code, stdout, errs := runCLI(t, append(cmd.args(tc.path, out("json")), "--json", "-q")...)
					if !containsInt(cmd.okCodes, code) {
						t.Fatalf("exit %d: %s", code, errs)
					}
					var j lossesJSON
					// sync --json streams its sets first; the report fields follow in the same object.
					if err := json.Unmarshal([]byte(stdout), &j); err != nil {
						t.Fatalf("--json: %v\n%.400s", err, stdout)
					}
					if !strings.Contains(stdout, `"problems"`) {
						t.Fatalf("--json has no \"problems\" field")
					}
					found := false
					for _, p := range j.Problems {
						if p.Kind == tc.kind && p.File == tc.path && p.Offset == tc.offset && strings.Contains(p.Message, tc.path) {
							found = true
						}
					}
					switch {
					case tc.kind == "" && len(j.Problems) > 0:
						t.Errorf("healthy log: problems %+v", j.Problems)
					case tc.kind != "" && !found:
						t.Errorf("no %s problem at offset %d of %s: %+v", tc.kind, tc.offset, tc.path, j.Problems)
					}
					code, stdout, errs = runCLI(t, append(cmd.args(tc.path, out("text")), "-q")...)
					if !containsInt(cmd.okCodes, code) {
						t.Fatalf("text: exit %d: %s", code, errs)
					}
					section := "lost: "
					if cmd.name == "fuse" {
						section = "problems: " // fuse's summary had its section first
					}
					if got := strings.Contains(stdout, section); got != (tc.kind != "") {
						t.Errorf("text has a lost: section: %v, want %v\n%s", got, tc.kind != "", stdout)
					}
				}
				code, _, errs := runCLI(t, append(cmd.args(tc.path, out("strict")), "--strict", "-q")...)
				want := []int{exitProblems}
				if tc.kind == "" {
					want = cmd.okCodes
				}
				if (cmd.name == "calib check" || cmd.name == "labels check") && tc.kind != "" {
					want = []int{exitProblems, exitMiscalibrated}
				}
				if !containsInt(want, code) {
					t.Errorf("--strict: exit %d, want one of %v: %s", code, want, errs)
				}
				if strict := strings.Contains(errs, "damaged input: "+tc.path); strict != (tc.kind != "") && code != exitMiscalibrated {
					t.Errorf("--strict: error %q names the damaged input: %v, want %v", errs, strict, tc.kind != "")
				}
			})
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// live --with LOG reports what the replayed log's reader lost: a
// truncated log's "truncated" problem at the cut chunk in --json's
// replay.problems (objects, as every reading command's "problems"; the
// top-level problems stay the run's own strings), a "lost:" section in
// the text, and exit 3 with --strict. The healthy log reports none and
// passes --strict. Before, live said nothing of the loss.
// (Real-time replay: a faster --speed leaves the RTSP camera too little
// time to deliver on a loaded host.)
func TestLiveReportsLosses(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for 1.5 to 3 s per run")
	}
	dir := t.TempDir()
	log := generateDamageLog(t, filepath.Join(dir, "drive.mcap"), 0, 3*time.Second)
	n := len(log.chunks)
	truncated := filepath.Join(dir, "truncated.mcap")
	copyDamaged(t, log.path, truncated, log.chunks[n/2].offset+300, -1)
	const w, h = 160, 96
	rigPath := liveRig(t, log.path, w, h)
	jpegs, err := rtsptest.TestJPEGs(w, h, 100)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rtsptest.Start(rtsptest.Config{Path: "/cam_live", Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for i, tc := range []struct {
		path, kind string
		offset     int64
	}{
		{log.path, "", 0},
		{truncated, "truncated", log.chunks[n/2].offset},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			args := func(extra ...string) []string {
				out := filepath.Join(dir, fmt.Sprintf("live%d%s", i, strings.Join(extra, "")))
				return append([]string{"live", "--rig", rigPath, srv.URL(), "--with", tc.path, "--transport", "tcp", "-q", "-o", out}, extra...)
			}
			code, stdout, errs := runCLI(t, args("--json")...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var j struct {
				Problems []string   `json:"problems"`
				Replay   lossesJSON `json:"replay"`
			}
			if err := json.Unmarshal([]byte(stdout), &j); err != nil {
				t.Fatalf("--json: %v\n%.400s", err, stdout)
			}
			if !strings.Contains(stdout, `"problems": []`) || j.Replay.Problems == nil {
				t.Fatalf("--json: want problems [] and replay.problems\n%s", stdout)
			}
			found := false
			for _, p := range j.Replay.Problems {
				found = found || p.Kind == tc.kind && p.File == tc.path && p.Offset == tc.offset
			}
			if (tc.kind == "" && len(j.Replay.Problems) > 0) || (tc.kind != "" && !found) {
				t.Errorf("replay.problems %+v, want a %q problem at %d", j.Replay.Problems, tc.kind, tc.offset)
			}
			code, stdout, errs = runCLI(t, args()...)
			if code != exitOK || strings.Contains(stdout, "lost: ") != (tc.kind != "") {
				t.Errorf("text: exit %d, lost: section %v, want %v\n%s%s", code, strings.Contains(stdout, "lost: "), tc.kind != "", stdout, errs)
			}
			code, _, errs = runCLI(t, args("--strict")...)
			want := exitOK
			if tc.kind != "" {
				want = exitProblems
			}
			if code != want {
				t.Errorf("--strict: exit %d, want %d: %s", code, want, errs)
			}
		})
	}
}

// fleet scan's logs.jsonl carries the reader's losses as objects too
// ("reader_problems": kind, file, offset, as every command's "problems";
// absent for a sound log) beside its "reader_warnings" strings. Before,
// only the strings were there.
func TestFleetScanReaderProblems(t *testing.T) {
	dir := t.TempDir()
	log := generateDamageLog(t, filepath.Join(dir, "drive.mcap"), 0, 3*time.Second)
	n := len(log.chunks)
	truncated := filepath.Join(dir, "truncated.mcap")
	copyDamaged(t, log.path, truncated, log.chunks[n/2].offset+300, -1)
	crc := filepath.Join(dir, "crc.mcap")
	copyDamaged(t, log.path, crc, -1, log.chunks[2].offset+400)
	for i, tc := range []struct {
		path, kind string
		offset     int64
	}{
		{log.path, "", 0},
		{truncated, "truncated", log.chunks[n/2].offset},
		{crc, "damaged", log.chunks[2].offset},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprintf("fleet%d", i))
			code, _, errs := runCLI(t, "fleet", "scan", tc.path, "-o", out, "-q")
			if code != exitOK && code != exitProblems {
				t.Fatalf("exit %d: %s", code, errs)
			}
			b, err := os.ReadFile(filepath.Join(out, "logs.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			var s struct {
				ReaderWarnings []string `json:"reader_warnings"`
				ReaderProblems []struct {
					Kind   string `json:"kind"`
					File   string `json:"file"`
					Offset int64  `json:"offset"`
				} `json:"reader_problems"`
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatalf("logs.jsonl: %v\n%s", err, b)
			}
			found := false
			for _, p := range s.ReaderProblems {
				found = found || p.Kind == tc.kind && p.File == tc.path && p.Offset == tc.offset
			}
			if (tc.kind == "") != (len(s.ReaderProblems) == 0) || (tc.kind != "" && !found) {
				t.Errorf("reader_problems %+v, want a %q problem at %d", s.ReaderProblems, tc.kind, tc.offset)
			}
			if len(s.ReaderProblems) != len(s.ReaderWarnings) {
				t.Errorf("%d reader_problems, %d reader_warnings", len(s.ReaderProblems), len(s.ReaderWarnings))
			}
		})
	}
}

// cat prints the reader's losses on stderr ("warning:" lines naming the
// file) and exits 3 with --strict on a truncated or CRC-damaged log, 0 on
// a healthy one. Before, cat had no --strict.
func TestCatStrict(t *testing.T) {
	dir := t.TempDir()
	log := generateDamageLog(t, filepath.Join(dir, "drive.mcap"), 0, 3*time.Second)
	n := len(log.chunks)
	truncated := filepath.Join(dir, "truncated.mcap")
	copyDamaged(t, log.path, truncated, log.chunks[n/2].offset+300, -1)
	crc := filepath.Join(dir, "crc.mcap")
	copyDamaged(t, log.path, crc, -1, log.chunks[2].offset+400)
	for _, tc := range []struct {
		path string
		lost bool
	}{{log.path, false}, {truncated, true}, {crc, true}} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				args := []string{"cat", tc.path, "--topic", "/imu/data"}
				want := exitOK
				if strict {
					args = append(args, "--strict")
					if tc.lost {
						want = exitProblems
					}
				}
				code, stdout, errs := runCLI(t, args...)
				if code != want || stdout == "" {
					t.Errorf("%v: exit %d, want %d, %d bytes out: %s", args, code, want, len(stdout), errs)
				}
				if got := strings.Contains(errs, "warning: "+tc.path); got != tc.lost {
					t.Errorf("%v: stderr names a loss: %v, want %v\n%s", args, got, tc.lost, errs)
				}
				if got := strings.Contains(errs, "damaged input: "+tc.path); got != (strict && tc.lost) {
					t.Errorf("%v: stderr has the --strict error: %v\n%s", args, got, errs)
				}
			}
		})
	}
}

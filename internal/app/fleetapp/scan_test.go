package fleetapp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fusion/fleet"
)

// TestExpandLogs: files, globs, folders searched recursively (a rosbag2
// folder is one log), a missing file kept (its gate will fail).
func TestExpandLogs(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a.mcap", "sub/b.bag", "sub/deep/c.MCAP", "sub/notes.txt", "bag2/metadata.yaml", "bag2/bag2_0.db3", "x.db3"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte("x"), 0o644)
	}
	got, err := ExpandLogs([]string{dir, filepath.Join(dir, "*.mcap"), filepath.Join(dir, "gone.mcap")})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, g := range got {
		r, _ := filepath.Rel(dir, g)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := []string{"a.mcap", "bag2", "gone.mcap", "sub/b.bag", "sub/deep/c.MCAP", "x.db3"}
	if !reflect.DeepEqual(rel, want) {
		t.Fatalf("ExpandLogs = %v, want %v", rel, want)
	}
	var ue UsageError
	if _, err := ExpandLogs([]string{filepath.Join(dir, "*.nothing")}); !errors.As(err, &ue) {
		t.Fatalf("a glob that matches nothing: %v", err)
	}
}

// TestScan: a scan writes the four outputs and per-log reports, fails the
// gate (GateError) for a truncated log without stopping, and a rerun
// skips the logs by content hash, also under another path, unless
// another rigsync version analysed them; --force analyses again; the
// outputs are the same bytes each time.
func TestScan(t *testing.T) {
	dir := t.TempDir()
	paths, _ := genFleet(t, dir, []fleetLog{
		{name: "clean", preset: "minimal", dur: time.Second, seed: 1},
		{name: "dropout", preset: "minimal", dur: 2 * time.Second, seed: 1, faults: []string{"dropout:cam_front=0.5s-1.6s"}},
		{name: "cut", preset: "minimal", dur: time.Second, seed: 2, truncate: true},
	})
	out := filepath.Join(dir, "fleet")
	var calls int
	o := ScanOptions{Out: out, Workers: 2, Progress: func(done, total int) { calls++ }}
	sum, err := Scan(context.Background(), o, paths)
	var ge GateError
	if !errors.As(err, &ge) || ge.Failed != 2 || sum == nil {
		t.Fatalf("scan: %v (%+v)", err, sum)
	}
	if sum.Analyzed != 3 || sum.Skipped != 0 || calls != 3 || len(sum.Failed) != 2 {
		t.Fatalf("summary %+v, progress calls %d", sum, calls)
	}
	first := readOutputs(t, out)
	logs := readLines(t, filepath.Join(out, LogsFile))
	if len(logs) != 3 {
		t.Fatalf("logs.jsonl has %d lines", len(logs))
	}
	for _, l := range logs {
		if strings.Contains(l, `"path":"`+paths[0]+`"`) && !strings.Contains(l, `"verdict":"pass"`) {
			t.Errorf("clean log: %s", l)
		}
	}
	if scenes := strings.Join(readLines(t, filepath.Join(out, ScenesFile)), "\n"); !strings.Contains(scenes, `"tag":"cam_front dropout 1.1 s"`) {
		t.Errorf("scenes.jsonl lacks the dropout:\n%s", scenes)
	}
	ents, _ := os.ReadDir(filepath.Join(out, ReportsDir))
	if len(ents) != 3 {
		t.Errorf("%d per-log report folders, want 3", len(ents))
	}

	// Rerun, with the clean log copied to another path: nothing analysed.
	moved := filepath.Join(dir, "moved.mcap")
	data, _ := os.ReadFile(paths[0])
	os.WriteFile(moved, data, 0o644)
	sum, _ = Scan(context.Background(), o, []string{moved, paths[1], paths[2]})
	if sum.Analyzed != 0 || sum.Skipped != 3 {
		t.Fatalf("rerun: %+v", sum)
	}
	if got := strings.Join(readLines(t, filepath.Join(out, LogsFile)), "\n"); !strings.Contains(got, `"path":"`+moved+`"`) {
		t.Errorf("a skipped log keeps its old path:\n%s", got)
	}
	// Another rigsync (an upgrade): analysed again.
	saved := buildVersion
	buildVersion = "rigsync v9.9.9"
	sum, _ = Scan(context.Background(), o, paths)
	buildVersion = saved
	if sum.Analyzed != 3 || sum.Skipped != 0 {
		t.Fatalf("rerun by another rigsync version: %+v", sum)
	}
	// Same paths again, --force: analysed again, same bytes.
	o.Force = true
	sum, _ = Scan(context.Background(), o, paths)
	if sum.Analyzed != 3 {
		t.Fatalf("--force: %+v", sum)
	}
	if again := readOutputs(t, out); !reflect.DeepEqual(again, first) {
		t.Error("a forced rerun wrote other bytes")
	}
	// Another gate policy is another analysis: not skipped.
	o.Force = false
	p := fleet.DefaultPolicy()
	p.ReaderLoss = fleet.ActionWarn
	p.Dropout = fleet.Threshold{}
	o.Analysis.Policy = &p
	sum, err = Scan(context.Background(), o, paths)
	if err != nil || sum.Analyzed != 3 || sum.Coverage.Failed != 0 {
		t.Fatalf("lenient policy: %v %+v", err, sum)
	}
	// An output inside an input folder is refused.
	if _, err := Scan(context.Background(), ScanOptions{Out: filepath.Join(dir, "in", "out")}, []string{filepath.Join(dir, "in")}); !errors.As(err, new(UsageError)) {
		t.Errorf("output inside an input: %v", err)
	}
}

// TestScanFuse: --fuse writes each log's frames to fused/SHA16 and
// records it; a second run resumes (nothing to redo) and keeps them.
func TestScanFuse(t *testing.T) {
	dir := t.TempDir()
	paths, _ := genFleet(t, dir, []fleetLog{{name: "clean", preset: "minimal", dur: time.Second, seed: 1}})
	out := filepath.Join(dir, "fleet")
	o := ScanOptions{Out: out, Workers: 1, Analysis: Options{Fuse: "frames"}}
	if _, err := Scan(context.Background(), o, paths); err != nil {
		t.Fatal(err)
	}
	r := AnalyzeLog(context.Background(), paths[0], Options{})
	fusedDir := filepath.Join(out, FusedDir, FusedFolder(r.Summary.SHA256))
	ents, err := os.ReadDir(fusedDir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("fused output %s: %v", fusedDir, err)
	}
	if got := strings.Join(readLines(t, filepath.Join(out, LogsFile)), ""); !strings.Contains(got, `"fused":"fused/`+FusedFolder(r.Summary.SHA256)+`"`) {
		t.Errorf("logs.jsonl does not record the fused folder: %s", got)
	}
	var prov FusedProvenance
	data, err := os.ReadFile(filepath.Join(out, FusedDir, FusedFolder(r.Summary.SHA256)+".provenance.json"))
	if err != nil || json.Unmarshal(data, &prov) != nil || prov.SHA256 != r.Summary.SHA256 || prov.Log != paths[0] || len(prov.Calibration) == 0 || prov.Format != "frames" {
		t.Fatalf("provenance beside the fused output: %s (%v)", data, err)
	}
	o.Force = true
	if _, err := Scan(context.Background(), o, paths); err != nil {
		t.Fatalf("rerun over a finished fused output: %v", err)
	}
	// --fuse mcap writes one file.
	o.Analysis.Fuse = "mcap"
	if _, err := Scan(context.Background(), o, paths); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(out, FusedDir, FusedFolder(r.Summary.SHA256)+".mcap")); err != nil || fi.IsDir() || fi.Size() == 0 {
		t.Fatalf("--fuse mcap: %v", err)
	}
}

func readOutputs(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, n := range []string{LogsFile, ScenesFile, CoverageFile, ReportFile} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		m[n] = string(b)
	}
	return m
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestOptionsJSON: Options survive a JSON round trip (a distributed
// runner ships them to its workers), policy included.
func TestOptionsJSON(t *testing.T) {
	p := fleet.DefaultPolicy()
	p.Dropout.Fail = 7
	o := Options{Check: true, Fuse: "frames", FuseDir: "/x/fused", Policy: &p, Workers: 2}
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back Options
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, o) {
		t.Fatalf("round trip: %+v (%v), want %+v", back, err, o)
	}
}

// TestAnalyzeTakesScansHash: a hash Scan already computed is the one the
// result carries; Analyze does not read the log again for it (a missing
// file shows it: with the hash given, only the log's opening fails).
func TestAnalyzeTakesScansHash(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone.mcap")
	r, _ := Analyze(context.Background(), missing, Options{hashed: &fileHash{sum: "ab12", size: 7}})
	if r.Summary.SHA256 != "ab12" || r.Summary.SizeBytes != 7 || r.Summary.Error == "" {
		t.Errorf("with the hash given: sha %q size %d error %q", r.Summary.SHA256, r.Summary.SizeBytes, r.Summary.Error)
	}
	r, _ = Analyze(context.Background(), missing, Options{})
	if r.Summary.SHA256 != "" || r.Summary.Error == "" {
		t.Errorf("without: sha %q error %q", r.Summary.SHA256, r.Summary.Error)
	}
}

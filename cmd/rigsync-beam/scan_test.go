package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/app/fleetapp"
)

// TestMain parses Beam's flags (a -runner on the test binary picks
// another runner; the default is Prism, in-process).
func TestMain(m *testing.M) { ptest.Main(m) }

// fixtureLog writes a synthetic "minimal" rig log of duration d with
// seed into dir/name and returns its path.
func fixtureLog(t testing.TB, dir, name string, d time.Duration, seed uint64) string {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration, cfg.Seed = d, seed
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, f, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// fleetDir is the test fleet: three good logs of known durations, a
// truncated copy, a file that is not MCAP, and a missing path.
type fleetDir struct {
	Dir       string
	Logs      []string // every path the scan is given, in order
	Durations []time.Duration
}

func makeFleet(t testing.TB) fleetDir {
	t.Helper()
	dir := t.TempDir()
	fd := fleetDir{Dir: dir, Durations: []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond}}
	for i, d := range fd.Durations {
		fd.Logs = append(fd.Logs, fixtureLog(t, dir, fmt.Sprintf("good%d.mcap", i), d, uint64(i+1)))
	}
	data, err := os.ReadFile(fd.Logs[1])
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.mcap")
	if err := os.WriteFile(cut, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.mcap")
	if err := os.WriteFile(junk, []byte("not an mcap file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fd.Logs = append(fd.Logs, cut, junk, filepath.Join(dir, "missing.mcap"))
	return fd
}

// direct is what "rigsync fleet scan" does with the same logs: AnalyzeLog
// per log, Coverage.Add, WriteOutputs.
func direct(t testing.TB, paths []string, out string) fleet.Coverage {
	t.Helper()
	var rs []fleet.Result
	var cov fleet.Coverage
	for _, p := range paths {
		r := fleetapp.AnalyzeLog(context.Background(), p, fleetapp.Options{})
		cov.Add(r)
		rs = append(rs, r)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fleetapp.WriteOutputs(out, rs, cov); err != nil {
		t.Fatal(err)
	}
	return cov
}

// runCLI runs rigsync-beam with args and returns its exit code, stdout
// and stderr.
func runCLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// normalizedLines decodes a JSON-lines file, blanks provenance.rigsync
// (the version string of the binary that wrote it), re-encodes every
// line canonically and sorts them, so two files compare by content,
// whatever order and binary wrote them.
func normalizedLines(t testing.TB, data []byte) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		if p, ok := m["provenance"].(map[string]any); ok {
			p["rigsync"] = "VERSION"
		}
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// sameJSON compares two JSON documents, numbers within a relative 1e-12
// (hours printed by the --json summary against the coverage's).
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !sameJSON(v, y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && math.Abs(x-y) <= 1e-12*math.Max(1, math.Max(math.Abs(x), math.Abs(y)))
	default:
		return reflect.DeepEqual(a, b)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScanMatchesFleetScan: the Prism run over the fixture fleet writes
// the logs.jsonl, scenes.jsonl and coverage.json that AnalyzeLog +
// Coverage.Add + WriteOutputs write ("rigsync fleet scan"), order and
// version string aside; the coverage agrees with the fixtures' truth (3
// good logs pass, the truncated, non-MCAP and missing ones fail; hours
// from the simulated durations); exit 3 for the failed gates; no dead
// letter.
func TestScanMatchesFleetScan(t *testing.T) {
	fd := makeFleet(t)
	out := filepath.Join(fd.Dir, "beam")
	args := []string{"scan", filepath.Join(fd.Dir, "*.mcap"), fd.Logs[len(fd.Logs)-1], "-o", out, "--json"}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitProblems {
		t.Fatalf("exit %d, want %d (failed gates); stderr:\n%s", code, exitProblems, stderr)
	}
	ref := filepath.Join(fd.Dir, "direct")
	cov := direct(t, fd.Logs, ref)

	for _, name := range []string{fleetapp.LogsFile, fleetapp.ScenesFile} {
		got, want := normalizedLines(t, readFile(t, filepath.Join(out, name))), normalizedLines(t, readFile(t, filepath.Join(ref, name)))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from fleetapp's:\n got %q\nwant %q", name, got, want)
		}
	}
	if n := len(normalizedLines(t, readFile(t, filepath.Join(out, fleetapp.LogsFile)))); n != len(fd.Logs) {
		t.Errorf("logs.jsonl has %d lines, want %d", n, len(fd.Logs))
	}
	// The coverage sums integers (ms, mm, counts): byte-identical in any
	// order and split.
	if gotCov, wantCov := readFile(t, filepath.Join(out, fleetapp.CoverageFile)), readFile(t, filepath.Join(ref, fleetapp.CoverageFile)); !bytes.Equal(gotCov, wantCov) {
		t.Errorf("coverage.json differs from fleetapp's:\n%s\nfleetapp's:\n%s", gotCov, wantCov)
	}
	if len(readFile(t, filepath.Join(out, fleetapp.ReportFile))) == 0 {
		t.Error("report.html is empty")
	}
	if d := readFile(t, filepath.Join(out, DeadFile)); len(d) != 0 {
		t.Errorf("dead.jsonl: %s", d)
	}

	// Ground truth: the fixtures' simulated durations and the fleet's make-up.
	var sum scanSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json summary: %v\n%s", err, stdout)
	}
	c := sum.Coverage
	if c == nil || c.Logs != 6 || c.Passed != 3 || c.Failed != 3 || c.Warned != 0 || !sameJSON(any(c.Hours), any(cov.Hours)) {
		t.Fatalf("summary coverage %+v, want 6 logs, 3 pass, 3 fail, %v h", c, cov.Hours)
	}
	var truth float64
	for _, d := range fd.Durations {
		truth += d.Hours()
	}
	// A log's duration is its first to last message's log time: it
	// differs from the simulated length by less than a sample period of
	// the slowest minimal-rig sensor (10 Hz) plus the sensors' simulated
	// latencies, so within 0.1 s per log.
	if math.Abs(c.Hours-truth) > 3*0.1/3600 {
		t.Errorf("hours %v, simulated %v", c.Hours, truth)
	}
	var lines []fleet.Summary
	for _, l := range strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(out, fleetapp.LogsFile)))), "\n") {
		var s fleet.Summary
		json.Unmarshal([]byte(l), &s)
		lines = append(lines, s)
	}
	for _, s := range lines {
		wantPass := strings.Contains(s.Path, "good")
		if (s.Gate.Verdict == fleet.Pass) != wantPass {
			t.Errorf("%s: gate %+v", s.Path, s.Gate)
		}
		if !wantPass && len(s.Gate.Reasons) == 0 {
			t.Errorf("%s: failed without a reason", s.Path)
		}
	}
}

// TestEmptyFleet: no logs still writes every file, with the zero
// coverage that fleetapp writes for no results (a global combine over
// nothing emits nothing: the write step must not depend on it).
func TestEmptyFleet(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("# nothing today\n\n"), 0o644)
	out := filepath.Join(dir, "fleet")
	code, stdout, stderr := runCLI(t, "scan", "--list", list, "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	ref := filepath.Join(dir, "ref")
	direct(t, nil, ref)
	for _, name := range outputFiles {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("%s not written: %v", name, err)
		}
		if name == DeadFile {
			if len(got) != 0 {
				t.Errorf("dead.jsonl: %q", got)
			}
			continue
		}
		if want := readFile(t, filepath.Join(ref, name)); !bytes.Equal(got, want) {
			t.Errorf("%s = %q, fleetapp writes %q", name, got, want)
		}
	}
	if !strings.Contains(stdout, "fleet: 0 logs") {
		t.Errorf("summary: %q", stdout)
	}
}

// TestDeadLetters: logs behind a Beam filesystem (memfs://, which the
// in-process worker shares with the test) are fetched and analysed like
// local ones, under their URL; a URL that cannot be read and a panicking
// analysis become dead letters with their stage, not a failed pipeline;
// the fleet folder itself can be a URL.
func TestDeadLetters(t *testing.T) {
	dir := t.TempDir()
	good := fixtureLog(t, dir, "good.mcap", 500*time.Millisecond, 7)
	memfs.Write("memfs://drives/good.mcap", readFile(t, good))
	memfs.Write("memfs://drives/boom.mcap", readFile(t, good)[:100])
	orig := analyzeLog
	analyzeLog = func(ctx context.Context, path string, o fleetapp.Options) fleet.Result {
		if filepath.Base(path) == "boom.mcap" {
			panic("injected")
		}
		return orig(ctx, path, o)
	}
	t.Cleanup(func() { analyzeLog = orig })

	code, stdout, stderr := runCLI(t, "scan", "memfs://drives/good.mcap", "memfs://drives/gone.mcap", "memfs://drives/boom.mcap", "-o", "memfs://fleet/out", "--json")
	if code != exitProblems {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitProblems, stderr)
	}
	var sum scanSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	// The two dead letters are failed gates too (fleetapp.Unreadable).
	if len(sum.Dead) != 2 || sum.Coverage == nil || sum.Coverage.Logs != 3 || sum.Coverage.Passed != 1 || sum.Coverage.Failed != 2 {
		t.Fatalf("summary %+v", sum)
	}
	stages := map[string]DeadLetter{}
	for _, d := range sum.Dead {
		stages[d.Path] = d
	}
	if d := stages["memfs://drives/gone.mcap"]; d.Stage != StageFetch || !strings.Contains(d.Error, "gone.mcap") {
		t.Errorf("gone: %+v", d)
	}
	if d := stages["memfs://drives/boom.mcap"]; d.Stage != StageAnalyze || !strings.Contains(d.Error, "panic in analysis: injected") {
		t.Errorf("boom: %+v", d)
	}
	logs, err := readOutput(context.Background(), "memfs://fleet/out", fleetapp.LogsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := fleetapp.AnalyzeLog(context.Background(), good, fleetapp.Options{}).Summary
	byPath := map[string]fleet.Summary{}
	for _, line := range strings.Split(strings.TrimSpace(string(logs)), "\n") {
		var s fleet.Summary
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		byPath[s.Path] = s
	}
	if got := byPath["memfs://drives/good.mcap"]; got.SHA256 != want.SHA256 || got.Messages != want.Messages || got.Gate.Verdict != fleet.Pass {
		t.Errorf("fetched log summary %+v, local %+v", got, want)
	}
	for path, reason := range map[string]string{"memfs://drives/gone.mcap": "file does not exist", "memfs://drives/boom.mcap": "memfs://drives/boom.mcap: panic in analysis: injected"} {
		got := byPath[path]
		if got.Gate.Verdict != fleet.Fail || !strings.Contains(got.Error, reason) || strings.Contains(got.Error, os.TempDir()) {
			t.Errorf("%s: %+v, want a failed gate for %q", path, got, reason)
		}
	}
}

// unregisteredFn is a DoFn deliberately left out of init's registration.
type unregisteredFn struct{}

func (unregisteredFn) ProcessElement(s string, emit func(string)) { emit(s) }

// TestMissingRegistrationFails: Prism refuses a pipeline whose DoFn is
// not registered, so the Prism runs above prove that every DoFn of the
// fleet pipeline is (a worker on a cluster needs it).
func TestMissingRegistrationFails(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	beam.ParDo(s, &unregisteredFn{}, beam.Create(s, "x"))
	err := ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), "registered") {
		t.Fatalf("unregistered DoFn ran: %v", err)
	}
}

// TestCoverageFnSplits: the combiner gives the sequential Coverage.Add
// sum for every split of the logs into partial accumulators.
func TestCoverageFnSplits(t *testing.T) {
	rs := []fleet.Result{
		{Summary: fleet.Summary{Path: "a", DurationS: 1800, Gate: fleet.Gate{Verdict: fleet.Pass}}},
		{Summary: fleet.Summary{Path: "b", DurationS: 7.25, Gate: fleet.Gate{Verdict: fleet.Warn}}},
		{Summary: fleet.Summary{Path: "c", Gate: fleet.Gate{Verdict: fleet.Fail}}},
		{Summary: fleet.Summary{Path: "d", DurationS: 3600, Gate: fleet.Gate{Verdict: fleet.Pass}}},
	}
	var want fleet.Coverage
	for _, r := range rs {
		want.Add(r)
	}
	var fn CoverageFn
	for split := 0; split <= len(rs); split++ {
		t.Run(fmt.Sprint("split", split), func(t *testing.T) {
			a, b := fn.CreateAccumulator(), fn.CreateAccumulator()
			for i, r := range rs {
				line, _ := json.Marshal(r)
				var err error
				if i < split {
					a, err = fn.AddInput(a, string(line))
				} else {
					b, err = fn.AddInput(b, string(line))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			// Through the accumulator coder, as between workers.
			enc, err := encodeCoverage(b)
			if err != nil {
				t.Fatal(err)
			}
			if b, err = decodeCoverage(enc); err != nil {
				t.Fatal(err)
			}
			out, err := fn.ExtractOutput(fn.MergeAccumulators(b, a))
			if err != nil {
				t.Fatal(err)
			}
			var got fleet.Coverage
			json.Unmarshal([]byte(out), &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
	if _, err := fn.AddInput(fleet.Coverage{}, "{not json"); err == nil {
		t.Error("bad result line accepted")
	}
}

// TestExpandInputs: globs, folders (nested logs, a rosbag2 folder as one
// log), missing paths, duplicates and --list files.
func TestExpandInputs(t *testing.T) {
	dir := t.TempDir()
	touch := func(rel string) string {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
		return p
	}
	a, b := touch("logs/a.mcap"), touch("logs/b.mcap")
	nested := touch("logs/day2/c.bag")
	touch("logs/notes.txt")
	bagMeta := touch("logs/bag2/metadata.yaml")
	touch("logs/bag2/bag2_0.db3")
	bag2 := filepath.Dir(bagMeta)
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("# comment\n"+b+"\n\n"+filepath.Join(dir, "gone.mcap")+"\n"), 0o644)

	tests := []struct {
		name     string
		args     []string
		lists    []string
		want     []string
		warnings int
		usage    bool
	}{
		{name: "glob", args: []string{filepath.Join(dir, "logs/*.mcap")}, want: []string{a, b}},
		{name: "folder", args: []string{filepath.Join(dir, "logs")}, want: []string{a, b, bag2, nested}},
		{name: "rosbag2 folder is one log", args: []string{bag2}, want: []string{bag2}},
		{name: "duplicates once", args: []string{a, filepath.Join(dir, "logs/*.mcap"), a}, want: []string{a, b}},
		{name: "list file", args: []string{a}, lists: []string{list}, want: []string{a, b, filepath.Join(dir, "gone.mcap")}},
		{name: "glob matching nothing", args: []string{filepath.Join(dir, "none/*.mcap")}, warnings: 1},
		{name: "memfs glob", args: []string{"memfs://expand/*.mcap"}, want: []string{"memfs://expand/x.mcap", "memfs://expand/y.mcap"}},
		{name: "unknown scheme", args: []string{"nosuch://b/x.mcap"}, usage: true},
	}
	memfs.Write("memfs://expand/y.mcap", []byte("y"))
	memfs.Write("memfs://expand/x.mcap", []byte("x"))
	memfs.Write("memfs://expand/z.txt", []byte("z"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, warns, err := expandInputs(context.Background(), tc.args, tc.lists)
			if tc.usage {
				var ue usageError
				if !errors.As(err, &ue) {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) || len(warns) != tc.warnings {
				t.Errorf("got %q (warnings %q), want %q (%d warnings)", got, warns, tc.want, tc.warnings)
			}
		})
	}
}

// TestUsageErrors: what a person can get wrong exits 2 with a message.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no logs", []string{"scan", "-o", dir}, "give logs"},
		{"no output", []string{"scan", "x.mcap"}, "out"},
		{"unknown option field", []string{"scan", "x.mcap", "-o", dir, "--options-json", `{"no_such_option": 1}`}, "no_such_option"},
		{"bad option JSON", []string{"scan", "x.mcap", "-o", dir, "--options-json", `{`}, "options-json"},
		{"text after the options", []string{"scan", "x.mcap", "-o", dir, "--options-json", `{} x`}, "text after the object"},
		{"options file missing", []string{"scan", "x.mcap", "-o", dir, "--options-json", "@" + filepath.Join(dir, "none.json")}, "none.json"},
		{"unknown flag", []string{"scan", "x.mcap", "-o", dir, "--nope"}, "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

// TestNoJobServer: submitting to a job server where nothing listens is an
// error after --probe-timeout, not a hang.
func TestNoJobServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	err = probeJobServer(context.Background(), "flink", addr, 500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("probe of %s: %v", addr, err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("probe took %s", el)
	}
	if err := probeJobServer(context.Background(), "direct", addr, time.Millisecond); err != nil {
		t.Errorf("direct runner probed: %v", err)
	}
}

// TestIsWorkerInvocation: a runner's worker command line goes to Beam's
// harness, a person's to cobra.
func TestIsWorkerInvocation(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"--worker", "--id", "1", "--control_endpoint", "localhost:1"}, true},
		{[]string{"-worker=true", "-id=1"}, true},
		// what Beam's Go SDK container (sdks/go/container/boot.go) passes
		{[]string{"--worker=true", "--id=1-1", "--logging_endpoint=localhost:1", "--control_endpoint=localhost:2", "--semi_persist_dir=/tmp"}, true},
		{[]string{"scan", "logs/", "-o", "fleet"}, false},
		{[]string{"scan", "--", "--worker"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		if got := isWorkerInvocation(tc.args); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.args, got, tc.want)
		}
	}
}

// TestOptionsReachWorker: the options travel to the worker with the DoFn
// (an exported field): options that the launcher would have refused make
// the worker's Setup fail. Were the field unexported, the worker would
// see "" and the run would pass.
func TestOptionsReachWorker(t *testing.T) {
	dir := t.TempDir()
	p := buildPipeline(scanPlan{Paths: []string{filepath.Join(dir, "x.mcap")}, Out: filepath.Join(dir, "fleet"), OptionsJSON: `{"not_an_option": 1}`})
	err := ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), "not_an_option") {
		t.Fatalf("run with bad options on the worker: %v", err)
	}
}

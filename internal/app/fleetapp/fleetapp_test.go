package fleetapp

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fusion/fleet"
)

// TestAnalyzeLog: a fixture log passes with its sensors listed and its
// content hash; the same log cut in half fails the gate with the reader's
// loss as the reason; a missing file fails with the open error.
func TestAnalyzeLog(t *testing.T) {
	dir := t.TempDir()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = time.Second
	good := filepath.Join(dir, "good.mcap")
	f, err := os.Create(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, f, nil, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := AnalyzeLog(context.Background(), good, Options{})
	if r.Summary.Gate.Verdict != fleet.Pass || r.Summary.Error != "" {
		t.Fatalf("good log: gate %+v, error %q", r.Summary.Gate, r.Summary.Error)
	}
	if len(r.Summary.SHA256) != 64 || r.Summary.Messages == 0 || len(r.Summary.Sensors) < 3 {
		t.Fatalf("good log summary: %+v", r.Summary)
	}

	data, _ := os.ReadFile(good)
	cut := filepath.Join(dir, "cut.mcap")
	os.WriteFile(cut, data[:len(data)/2], 0o644)
	r = AnalyzeLog(context.Background(), cut, Options{})
	if r.Summary.Gate.Verdict != fleet.Fail || len(r.Summary.Gate.Reasons) == 0 {
		t.Fatalf("truncated log: gate %+v", r.Summary.Gate)
	}
	r = AnalyzeLog(context.Background(), filepath.Join(dir, "missing.mcap"), Options{})
	if r.Summary.Gate.Verdict != fleet.Fail || r.Summary.Error == "" {
		t.Fatalf("missing log: %+v", r.Summary)
	}
}

// TestWriteOutputsOrderIndependent: the same results in another order
// give byte-identical files.
func TestWriteOutputsOrderIndependent(t *testing.T) {
	rs := []fleet.Result{
		{Summary: fleet.Summary{Path: "b.mcap", SHA256: "bb", DurationS: 3600, Gate: fleet.Gate{Verdict: fleet.Pass}}},
		{Summary: fleet.Summary{Path: "a.mcap", SHA256: "aa", Gate: fleet.Gate{Verdict: fleet.Fail, Reasons: []string{"x"}}},
			Scenes: []fleet.Scene{{Log: "a.mcap", Kind: "stop", Tag: "stop"}}},
	}
	var cov fleet.Coverage
	for _, r := range rs {
		cov.Add(r)
	}
	d1, d2 := t.TempDir(), t.TempDir()
	if err := WriteOutputs(d1, rs, cov); err != nil {
		t.Fatal(err)
	}
	if err := WriteOutputs(d2, []fleet.Result{rs[1], rs[0]}, cov); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{LogsFile, ScenesFile, CoverageFile, ReportFile} {
		a, err1 := os.ReadFile(filepath.Join(d1, name))
		b, err2 := os.ReadFile(filepath.Join(d2, name))
		if err1 != nil || err2 != nil || string(a) != string(b) || len(a) == 0 {
			t.Fatalf("%s differs or missing (%v %v)", name, err1, err2)
		}
	}
	if cov.Logs != 2 || cov.Passed != 1 || cov.Failed != 1 || cov.Hours != 1 {
		t.Fatalf("coverage %+v", cov)
	}
}

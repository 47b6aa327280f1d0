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

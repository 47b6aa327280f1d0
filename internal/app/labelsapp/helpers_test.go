package labelsapp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/labels"
)

// genLabelled writes a fixture drive (cameras off unless keepCams) with
// its labels (faults applied) into a temporary folder and returns the log
// path, the labels path, the faulted labels, the true labels and what
// each fault did.
func genLabelled(t testing.TB, preset string, seed uint64, d time.Duration, keepCams bool, faults ...string) (string, string, *labels.Set, *labels.Set, []fixtures.LabelFaultTruth) {
	t.Helper()
	cfg, err := fixtures.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.Duration, cfg.Labels = seed, d, true
	if !keepCams {
		cfg.Rig.Cameras = nil
	}
	return genFromConfig(t, cfg, faults...)
}

// genFromConfig is genLabelled for a prepared configuration.
func genFromConfig(t testing.TB, cfg fixtures.Config, faults ...string) (string, string, *labels.Set, *labels.Set, []fixtures.LabelFaultTruth) {
	t.Helper()
	cfg.Labels = true
	for _, s := range faults {
		f, err := fixtures.ParseLabelFault(s)
		if err != nil {
			t.Fatal(err)
		}
		cfg.LabelFaults = append(cfg.LabelFaults, f)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "drive.mcap")
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	set, lft, err := fixtures.Labels(cfg)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := fixtures.TrueLabels(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var lb bytes.Buffer
	if err := labels.WriteJSON(&lb, set); err != nil {
		t.Fatal(err)
	}
	lp := filepath.Join(dir, "drive.labels.json")
	if err := os.WriteFile(lp, lb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return logPath, lp, set, truth, lft
}

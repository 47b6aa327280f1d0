package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fusiontest"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// "fuse --resume" of a killed MCAP run (its OUT.tmp is a prefix of the
// file an uninterrupted run writes) finishes the same file, byte for byte,
// and leaves no temporary or partial file.
func TestFuseMCAPKilledAndResumed(t *testing.T) {
	log := fuseFixture(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.mcap")
	if code, _, errs := runCLI(t, "fuse", log, "--format", "mcap", "-o", full, "-q"); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
	}
	want, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "resumed.mcap")
	if err := os.WriteFile(out+".tmp", want[:len(want)*6/10], 0o644); err != nil {
		t.Fatal(err)
	}
	writeKilledRecord(t, log, "mcap", out) // what the killed run wrote first
	if code, _, errs := runCLI(t, "fuse", log, "--format", "mcap", "-o", out, "--resume", "--workers", "3", "-q"); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("resumed file (%d bytes) differs from the uninterrupted one (%d bytes)", len(got), len(want))
	}
	for _, p := range []string{out + ".tmp", out + ".partial"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind (stat: %v)", p, err)
		}
	}
	// A complete file has nothing to resume.
	if code, _, _ := runCLI(t, "fuse", log, "--format", "mcap", "-o", out, "--resume", "-q"); code != exitError {
		t.Errorf("resuming a complete file: exit %d, want %d", code, exitError)
	}
}

// "fuse --format nuscenes --resume" after a killed run gives the tables
// and files of an uninterrupted run.
func TestFuseNuScenesKilledAndResumed(t *testing.T) {
	log := fuseFixture(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if code, _, errs := runCLI(t, "fuse", log, "--format", "nuscenes", "-o", full, "-q"); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
	}
	part := filepath.Join(dir, "part")
	r, err := mcapread.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := fusion.ReadCalibration(context.Background(), r, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	// The writer "fuse" opens, never closed: the process dies.
	w, _, err := fuseapp.OpenSink(fuseapp.Options{Format: "nuscenes", Out: part, Frame: "base_link", KeyframeHz: 2}, cal)
	if err != nil {
		t.Fatal(err)
	}
	writeKilledRecord(t, log, "nuscenes", part) // what the killed run wrote first
	kill := errors.New("killed")
	p := &fusion.Pipeline{Reader: r, BaseFrame: "base_link", Tolerance: 50 * time.Millisecond, Ego: "auto"}
	if err := p.Run(context.Background(), &fusiontest.KillAfter{Sink: w, N: 4, Err: kill}); !errors.Is(err, kill) {
		t.Fatalf("killed run: %v", err)
	}
	r.Close()
	if code, _, _ := runCLI(t, "fuse", log, "--format", "nuscenes", "-o", part, "-q"); code == exitOK {
		t.Fatal("writing into the half-written folder without --resume was accepted")
	}
	if code, _, errs := runCLI(t, "fuse", log, "--format", "nuscenes", "-o", part, "--resume", "-q"); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	a, b := fusiontest.TreeDigest(t, full), fusiontest.TreeDigest(t, part)
	if len(a) < 10 || len(a) != len(b) {
		t.Fatalf("uninterrupted run has %d files, resumed run %d", len(a), len(b))
	}
	for name, h := range a {
		if b[name] != h {
			t.Errorf("%s differs between the uninterrupted and the resumed run", name)
		}
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fusiontest"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// fuseDefaults are the Options of "fuse LOG --format FORMAT -o OUT"
// with fuse's default flags.
func fuseDefaults(t *testing.T, format, out string) fuseapp.Options {
	t.Helper()
	ao, err := fuseapp.Flags{Format: format, Out: out, Frame: "base_link", Tolerance: 50 * time.Millisecond, KeyframeHz: 2,
		Ego: "auto", ImageCheck: fusion.DefaultImageCheckEvery, Workers: 2}.Options()
	if err != nil {
		t.Fatal(err)
	}
	return ao
}

// writeKilledRecord writes the run record that "fuse LOG --format FORMAT
// -o OUT" (default flags) writes before its first frame, for tests that
// simulate a killed run by other means.
func writeKilledRecord(t *testing.T, log, format, out string) {
	t.Helper()
	rec, err := fuseapp.NewRunRecord(context.Background(), fuseDefaults(t, format, out), []string{log})
	if err != nil {
		t.Fatal(err)
	}
	if err := fuseapp.WriteRunRecord(out, rec); err != nil {
		t.Fatal(err)
	}
}

// killedFuse runs "fuse LOG --format FORMAT -o OUT" with fuse's default
// options and stops it after n frames, as a kill would (the output is
// left as it is).
func killedFuse(t *testing.T, log, format, out string, n int64) {
	t.Helper()
	ao := fuseDefaults(t, format, out)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ao.Progress = func(stage, unit string, total int64) fuseapp.Progress {
		return killAt{n: n, cancel: cancel}
	}
	if _, err := fuseapp.Run(ctx, ao, []string{log}); err == nil {
		t.Fatal("the killed run completed")
	}
}

type killAt struct {
	n      int64
	cancel func()
}

func (k killAt) Set(n int64) {
	if n >= k.n {
		k.cancel()
	}
}
func (killAt) Finish() {}

// "fuse --resume" refuses to continue a killed run with another log or
// other output-changing options, saying what differs (exit 2), and with
// the same log and options (any --workers) finishes the output of an
// uninterrupted run, without the run record.
func TestFuseResumeRefusesOtherRun(t *testing.T) {
	dir := t.TempDir()
	logA := fuseFixture(t)
	logB := filepath.Join(dir, "other.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1200ms", "--tf", "-q", "-o", logB); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	for _, format := range []string{"frames", "nuscenes"} {
		t.Run(format, func(t *testing.T) {
			full := filepath.Join(dir, format+"-full")
			if code, _, errs := runCLI(t, "fuse", logA, "--format", format, "-o", full, "-q"); code != exitOK {
				t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
			}
			part := filepath.Join(dir, format+"-part")
			killedFuse(t, logA, format, part, 3)
			if _, err := os.Stat(filepath.Join(part, fuseapp.RunRecordName)); err != nil {
				t.Fatalf("the killed run left no run record: %v", err)
			}
			for _, tc := range []struct {
				name string
				args []string
				want []string
			}{
				{"other log", []string{logB}, []string{"cannot resume", "input 1 differs", filepath.Base(logA), filepath.Base(logB), "sha256"}},
				{"other tolerance", []string{logA, "--tolerance", "60ms"}, []string{"option --tolerance: was \"50ms\", now \"60ms\""}},
				{"other window", []string{logA, "--start", "+0.2s"}, []string{"option --start: was (unset), now \"+0.2s\""}},
				{"log and format", []string{logB, "--format", map[string]string{"frames": "kitti", "nuscenes": "frames"}[format]},
					[]string{"input 1 differs", "option --format: was \"" + format + "\""}},
			} {
				args := append([]string{"fuse"}, tc.args...)
				if !strings.Contains(strings.Join(tc.args, " "), "--format") {
					args = append(args, "--format", format)
				}
				args = append(args, "-o", part, "--resume", "-q")
				code, _, errs := runCLI(t, args...)
				if code != exitUsage {
					t.Errorf("%s: resume exit %d, want %d (%s)", tc.name, code, exitUsage, errs)
				}
				for _, w := range tc.want {
					if !strings.Contains(errs, w) {
						t.Errorf("%s: error %q does not say %q", tc.name, errs, w)
					}
				}
			}
			// The same log and options, another worker count: accepted.
			if code, _, errs := runCLI(t, "fuse", logA, "--format", format, "-o", part, "--resume", "--workers", "1", "-q"); code != exitOK {
				t.Fatalf("resume with the same log: exit %d: %s", code, errs)
			}
			a, b := fusiontest.TreeDigest(t, full), fusiontest.TreeDigest(t, part)
			if len(a) < 5 || len(a) != len(b) {
				t.Fatalf("uninterrupted run has %d files, resumed run %d", len(a), len(b))
			}
			for name, h := range a {
				if b[name] != h {
					t.Errorf("%s differs between the uninterrupted and the resumed run", name)
				}
			}
		})
	}
}

// A killed single-file (mcap) run keeps its record next to OUT.tmp; a
// resume with another log is refused, and a complete run leaves no record.
func TestFuseResumeRecordMCAP(t *testing.T) {
	dir := t.TempDir()
	logA := fuseFixture(t)
	out := filepath.Join(dir, "out.mcap")
	if code, _, errs := runCLI(t, "fuse", logA, "--format", "mcap", "-o", out, "-q"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(out + fuseapp.RunRecordName); !os.IsNotExist(err) {
		t.Errorf("a complete run left its record (stat: %v)", err)
	}
	// A kill leaves OUT.tmp and the record.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(dir, "part.mcap")
	os.WriteFile(part+".tmp", b[:len(b)/2], 0o644)
	rec, err := fuseapp.NewRunRecord(context.Background(), fuseDefaults(t, "mcap", part), []string{logA})
	if err != nil {
		t.Fatal(err)
	}
	if err := fuseapp.WriteRunRecord(part, rec); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.mcap")
	os.WriteFile(other, append(b[:0:0], b...), 0o644) // any other content
	if code, _, errs := runCLI(t, "fuse", other, "--format", "mcap", "-o", part, "--resume", "-q"); code != exitUsage || !strings.Contains(errs, "input 1 differs") {
		t.Errorf("resume with another log: exit %d: %s", code, errs)
	}
}

// A complete folder output holds no run record, and "--resume" of it is
// refused (it would keep the first run's frames under another log's
// tables) instead of accepted.
func TestFuseResumeCompleteFolder(t *testing.T) {
	dir := t.TempDir()
	logA := fuseFixture(t)
	out := filepath.Join(dir, "out")
	if code, _, errs := runCLI(t, "fuse", logA, "--format", "nuscenes", "-o", out, "-q"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(out, fuseapp.RunRecordName)); !os.IsNotExist(err) {
		t.Errorf("a complete run left its record (stat: %v)", err)
	}
	code, _, errs := runCLI(t, "fuse", logA, "--format", "kitti", "-o", out, "--resume", "-q")
	if code != exitUsage || !strings.Contains(errs, "no run record") {
		t.Errorf("resume of a complete folder: exit %d: %s", code, errs)
	}
	// --resume of an output that does not exist yet starts it, as before.
	for _, format := range []string{"frames", "mcap"} {
		fresh := filepath.Join(dir, "fresh-"+format)
		if code, _, errs := runCLI(t, "fuse", logA, "--format", format, "-o", fresh, "--resume", "-q"); code != exitOK {
			t.Errorf("--resume of a new %s output: exit %d: %s", format, code, errs)
		}
	}
}

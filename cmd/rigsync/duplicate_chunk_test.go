package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A log with a chunk written twice (a copy tool that repeated a block, a
// concatenated file) fuses into the frames of the healthy log, not more:
// the repeated messages are skipped by the reader and reported as a
// problem ("duplicate messages skipped", no message lost). 5 s of the
// minimal rig is 50 LiDAR sweeps; before the reader recognised repeats
// the copy of a chunk added frames.
func TestFuseRepeatedChunk(t *testing.T) {
	dir := t.TempDir()
	log := generateDamageLog(t, filepath.Join(dir, "drive.mcap"), 0, 5*time.Second)
	if len(log.chunks) < 6 {
		t.Fatalf("fixture has %d chunks, want several", len(log.chunks))
	}
	b, err := os.ReadFile(log.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, len(log.chunks) / 2} {
		c := log.chunks[k]
		dup := slices.Clone(b[:c.msgIndexEnd])
		dup = append(dup, b[c.offset:c.msgIndexEnd]...)
		dup = append(dup, b[c.msgIndexEnd:]...)
		bad := filepath.Join(dir, "repeated.mcap")
		if err := os.WriteFile(bad, dup, 0o644); err != nil {
			t.Fatal(err)
		}
		frames := func(path, out string) fuseDamageJSON {
			t.Helper()
			code, stdout, errs := runCLI(t, "fuse", path, "--format", "frames", "-o", out, "--json", "-q")
			if code != exitOK {
				t.Fatalf("fuse %s: exit %d: %s", path, code, errs)
			}
			var j fuseDamageJSON
			if err := json.Unmarshal([]byte(stdout), &j); err != nil {
				t.Fatal(err)
			}
			return j
		}
		healthy := frames(log.path, filepath.Join(dir, "healthy"))
		got := frames(bad, filepath.Join(dir, "repeated"))
		if healthy.Frames != 50 || got.Frames != healthy.Frames {
			t.Errorf("chunk %d repeated: %d frames, the healthy log %d (want 50)", k, got.Frames, healthy.Frames)
		}
		if a, b := fusedStamps(t, filepath.Join(dir, "healthy")), fusedStamps(t, filepath.Join(dir, "repeated")); !slices.Equal(a, b) {
			t.Errorf("chunk %d repeated: frame stamps differ from the healthy log's", k)
		}
		n := 0
		for _, p := range got.Problems {
			if strings.Contains(p.Message, "duplicate messages skipped") {
				n++
				if p.Severity != "warning" || p.LostMessages != 0 {
					t.Errorf("problem %+v: want a warning without lost messages", p)
				}
			}
		}
		if n == 0 {
			t.Errorf("chunk %d repeated: no problem says so: %+v", k, got.Problems)
		}
		os.RemoveAll(filepath.Join(dir, "healthy"))
		os.RemoveAll(filepath.Join(dir, "repeated"))
	}
}

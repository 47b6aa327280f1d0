package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuseFixture writes a 1 s minimal-rig log (with /tf for ego motion).
func fuseFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "drive.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1s", "--tf", "-q", "-o", path); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	return path
}

func TestFuseFormats(t *testing.T) {
	log := fuseFixture(t)
	dir := t.TempDir()
	for _, format := range []string{"frames", "nuscenes", "mcap", "kitti"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, format)
			if format == "mcap" {
				out += ".mcap"
			}
			code, stdout, errs := runCLI(t, "fuse", log, "--format", format, "-o", out, "--json")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var sum fuseSummary
			if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
				t.Fatalf("--json: %v\n%s", err, stdout)
			}
			// 1 s of a 10 Hz LiDAR: 10 frames, every sensor in every frame.
			if sum.Frames != 10 {
				t.Errorf("%d frames, want 10", sum.Frames)
			}
			for name, c := range sum.Completeness {
				if c != 1 {
					t.Errorf("%s completeness %.2f, want 1", name, c)
				}
			}
			if _, err := os.Stat(out); err != nil {
				t.Fatal(err)
			}
			// A second run into the same, now non-empty, output is refused.
			if code, _, errs := runCLI(t, "fuse", log, "--format", format, "-o", out); code != exitError || !strings.Contains(strings.ToLower(errs), "force") {
				t.Errorf("rerun without --force: exit %d (%s), want %d mentioning --force", code, errs, exitError)
			}
		})
	}
	frames, _ := filepath.Glob(filepath.Join(dir, "frames", "0*", "frame.json"))
	if len(frames) != 10 {
		t.Errorf("%d frame.json files, want 10", len(frames))
	}
	if code, _, _ := runCLI(t, "fuse", log, "--format", "ply", "-o", filepath.Join(dir, "x")); code != exitUsage {
		t.Errorf("unknown format: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCLI(t, "fuse", log); code != exitUsage {
		t.Errorf("missing -o: exit %d, want %d", code, exitUsage)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoOutputOverInput: fuse, calib convert and live refuse an output
// that is, or resolves to, or holds one of their inputs, --force or not
// (issue 17's repro: fuse self.mcap --format mcap -o self.mcap --force
// replaced the raw log), and the input is left as it was.
func TestNoOutputOverInput(t *testing.T) {
	log := fuseFixture(t)
	dir := filepath.Dir(log)
	before, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.mcap")
	if err := os.Symlink(log, link); err != nil {
		t.Fatal(err)
	}
	rigFile := filepath.Join(dir, "rig.yaml")
	if code, out, errs := runCLI(t, "rig", "init", log); code != exitOK {
		t.Fatalf("rig init: exit %d: %s", code, errs)
	} else if err := os.WriteFile(rigFile, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"fuse onto its log", []string{"fuse", log, "--format", "mcap", "-o", log, "--force"}, "is the input"},
		{"fuse onto a link to its log", []string{"fuse", log, "--format", "mcap", "-o", link, "--force"}, "is the input"},
		{"fuse into the log's folder", []string{"fuse", log, "-o", dir, "--force"}, "contains the input"},
		{"fuse onto its --rig", []string{"fuse", log, "--rig", rigFile, "--format", "mcap", "-o", rigFile, "--force"}, "is the input"},
		{"convert onto its input", []string{"calib", "convert", rigFile, "--to", "rig", "-o", rigFile}, "is the input"},
		{"live onto --with", []string{"live", "--rig", rigFile, "--with", log, "-o", log, "cam=rtsp://127.0.0.1:1/x"}, "is the input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, exitUsage, c.want)
			}
			after, err := os.ReadFile(log)
			if err != nil || !bytes.Equal(after, before) {
				t.Fatalf("the input log changed (%v)", err)
			}
		})
	}
}

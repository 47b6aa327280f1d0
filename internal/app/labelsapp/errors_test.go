package labelsapp

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/labels"
)

// TestRunErrors: labels that are not of the log (an hour later), a box in
// another coordinate frame, a damaged labels file and an unknown format are
// clear errors naming what is wrong; none panics.
func TestRunErrors(t *testing.T) {
	log, lp, set, _, _ := genLabelled(t, "minimal", 1, time.Second, false)
	dir := t.TempDir()
	write := func(name string, s *labels.Set) string {
		var b bytes.Buffer
		if err := labels.WriteJSON(&b, s); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	later := *set
	later.Frames = append([]labels.Frame(nil), set.Frames...)
	for i := range later.Frames {
		later.Frames[i].StampNS += int64(time.Hour)
	}
	camFrame := *set
	camFrame.Frames = append([]labels.Frame(nil), set.Frames...)
	camFrame.Frames[0].Boxes = append([]labels.Box(nil), set.Frames[0].Boxes...)
	camFrame.Frames[0].Boxes[0].Frame = "cam_front"
	data, err := os.ReadFile(lp)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.json")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, labels, format, want string
		usage                      bool
	}{
		{"an hour later", write("later.json", &later), "", "no labelled frame matches a fused frame", false},
		{"camera frame", write("cam.json", &camFrame), "", `is in frame "cam_front"`, false},
		{"cut file", cut, "", "cut.json", false},
		{"unknown format", lp, "yolo", `--format "yolo"`, true},
		{"no file", filepath.Join(dir, "none.json"), "", "none.json", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), Options{Logs: []string{log}, Labels: tc.labels, Format: tc.format})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, ok := errors.AsType[UsageError](err); ok != tc.usage {
				t.Errorf("usage error %v, want %v", ok, tc.usage)
			}
		})
	}
}

package rigfiles_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a.yaml"}, "a.yaml"},
		{[]string{"a.yaml,b.yaml", " c.yaml ", ""}, "a.yaml|b.yaml|c.yaml"},
	}
	for _, c := range cases {
		if got := strings.Join(rigfiles.Split(c.in), "|"); got != c.want {
			t.Errorf("Split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestLoadErrors: what --rig refuses, and how it says so.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	imu := write("imu.yaml", "imu0:\n  accelerometer_noise_density: 0.01\n  update_rate: 200.0\n")
	junk := write("notes.txt", "hello: [world\n")
	badRig := write("rig.yaml", "version: 1\nbase_frame: base_link\nsensors:\n  - name: x\n    modality: sonar\n")
	cases := []struct {
		name  string
		paths []string
		maps  []string
		usage bool
		want  []string
	}{
		{"missing", []string{filepath.Join(dir, "nope.yaml")}, nil, false, []string{"nope.yaml"}},
		{"unknown format", []string{junk}, nil, false, []string{"notes.txt", "a rig.yaml or a calibration file rigsync reads"}},
		{"nothing for a rig", []string{imu}, nil, false, []string{"imu.yaml", "kalibr_imu", "no camera and no transform", "2 numbers"}},
		{"bad rig.yaml", []string{badRig}, nil, false, []string{"rig.yaml", "modality \"sonar\""}},
		{"bad map", []string{imu}, []string{"cam0"}, true, []string{"want FILE_FRAME=SENSOR"}},
		{"map without rig", nil, []string{"a=b"}, true, []string{"add --rig"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rigfiles.Load(c.paths, c.maps, "base_link")
			if err == nil {
				t.Fatal("no error")
			}
			if rigfiles.IsUsage(err) != c.usage {
				t.Errorf("usage error %v: %v", !c.usage, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if l, err := rigfiles.Load(nil, nil, ""); l != nil || err != nil {
		t.Errorf("no --rig: %v, %v", l, err)
	}
}

// TestRealFiles: every real calibration file in ../shared/data/calib that
// calibio reads loads as --rig on a fixture log (the log is fused, and
// what the file could not place is in the summary's warnings) or gives a
// clear error saying what it lacks; none panics.
func TestRealFiles(t *testing.T) {
	dir := shareddata.Dir(t, "calib")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 400 * time.Millisecond
	tmp := t.TempDir()
	log := filepath.Join(tmp, "drive.mcap")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, f, nil, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	read := 0
	for _, p := range files {
		if _, err := calibio.ReadFile(p); err != nil {
			continue // not a calibration file calibio reads (SOURCES.md, the vectors)
		}
		read++
		t.Run(filepath.Base(p), func(t *testing.T) {
			o := fuseapp.Options{Format: "frames", Out: filepath.Join(tmp, filepath.Base(p)), Frame: "base_link", Tolerance: 50 * time.Millisecond,
				KeyframeHz: 2, Ego: "auto", ImageCheckEvery: fusion.DefaultImageCheckEvery, Workers: 1, Rig: []string{p}}
			sum, err := fuseapp.Run(context.Background(), o, []string{log})
			if err != nil {
				if !strings.Contains(err.Error(), filepath.Base(p)) {
					t.Errorf("the error does not name the file: %v", err)
				}
				t.Logf("refused: %v", err)
				return
			}
			if sum.Frames == 0 {
				t.Errorf("no frames")
			}
			t.Logf("%d frames; unmapped %v; %d warnings", sum.Frames, sum.Unmapped, len(sum.Warnings))
		})
	}
	if read < 12 {
		t.Errorf("only %d files read by calibio", read)
	}
}

// TestSameBaseName: two files of one base name are named by their paths,
// so a conflict between them says which is which.
func TestSameBaseName(t *testing.T) {
	dir := t.TempDir()
	apollo := func(sub, z string) string {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, sub, "lidar.yaml")
		text := "header:\n  frame_id: base_link\nchild_frame_id: lidar\ntransform:\n  translation: {x: 0, y: 0, z: " + z + "}\n  rotation: {x: 0, y: 0, z: 0, w: 1}\n"
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := apollo("a", "1.8"), apollo("b", "1.9")
	_, err := rigfiles.Load([]string{a, b}, nil, "base_link")
	if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Errorf("err = %v, want both paths", err)
	}
}

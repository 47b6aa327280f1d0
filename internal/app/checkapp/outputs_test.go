package checkapp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
)

// outputsRig is a one-LiDAR rig at x = 1 m.
func outputsRig() *rig.Rig {
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link", Sensors: []rig.Sensor{{Name: "lidar_rear", Modality: "lidar"}}}
	rg.Sensors[0].SetT(se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{X: 1}})
	return rg
}

// outputsReport is a report with one lidar_rear pair of verdict v whose
// correction moves the sensor 5 cm along its x.
func outputsReport(v check.Verdict) *check.Report {
	C := se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{X: 0.05}}.Matrix4()
	var m [16]float64
	for r := range 4 {
		for c := range 4 {
			m[4*r+c] = C[r][c]
		}
	}
	rep := &check.Report{Log: "drive.mcap", Clock: "lidar_top", Start: 0, End: 1e9, Pairs: []check.PairResult{
		{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: v, Correction: m, Note: "test"},
	}}
	finish(rep)
	return rep
}

// unobservedX gives rep's pair six DOFs, x (the correction's 5 cm)
// unobservable and the others observed.
func unobservedX(rep *check.Report) *check.Report {
	st := [6]check.DOFStatus{check.Observed, check.Observed, check.Observed, check.Unobservable, check.Observed, check.Observed}
	rep.Pairs[0].DOFs = dofsOf(st)
	finish(rep)
	return rep
}

func TestWriteOutputs(t *testing.T) {
	for _, c := range []struct {
		name      string
		rep       *check.Report
		o         Outputs // paths relative to the test's folder
		wantLines []string
		wantFiles []string
		skipped   bool
		wantErr   string
		wantX     float64 // lidar_rear's x in the written rig, when one is
	}{
		{name: "nothing asked", rep: outputsReport(check.Miscalibrated)},
		{name: "report", rep: outputsReport(check.OK), o: Outputs{Report: "check.html"},
			wantLines: []string{"wrote report check.html"}, wantFiles: []string{"check.html"}},
		{name: "fix miscalibrated", rep: outputsReport(check.Miscalibrated),
			o:         Outputs{Fix: true, FixFrom: check.Miscalibrated, Out: "fixed.yaml", Rig: outputsRig()},
			wantLines: []string{"wrote corrected rig fixed.yaml", "fixed lidar_rear (lidar-lidar against lidar_top): corrected roll, pitch, yaw, x, y, z"}, wantFiles: []string{"fixed.yaml"}, wantX: 1.05},
		{name: "fix keeps a DOF not observed", rep: unobservedX(outputsReport(check.Miscalibrated)),
			o: Outputs{Fix: true, FixFrom: check.Miscalibrated, Out: "fixed.yaml", Rig: outputsRig()},
			wantLines: []string{"wrote corrected rig fixed.yaml",
				"fixed lidar_rear (lidar-lidar against lidar_top): corrected roll, pitch, yaw, y, z; left as they were (not observed): x"},
			wantFiles: []string{"fixed.yaml"}, wantX: 1},
		{name: "fix leaves a suspicious pair alone", rep: outputsReport(check.Suspicious),
			o:         Outputs{Fix: true, FixFrom: check.Miscalibrated, Out: "fixed.yaml", Rig: outputsRig()},
			wantLines: []string{"wrote corrected rig fixed.yaml"}, wantFiles: []string{"fixed.yaml"}, wantX: 1},
		{name: "fix from suspicious", rep: outputsReport(check.Suspicious),
			o:         Outputs{Fix: true, FixFrom: check.Suspicious, Out: "fixed.yaml", Rig: outputsRig()},
			wantLines: []string{"wrote corrected rig fixed.yaml", "fixed lidar_rear (lidar-lidar against lidar_top): corrected roll, pitch, yaw, x, y, z"}, wantFiles: []string{"fixed.yaml"}, wantX: 1.05},
		{name: "nothing checked writes no rig", rep: outputsReport(check.Skipped),
			o:         Outputs{Report: "check.html", Fix: true, FixFrom: check.Miscalibrated, Out: "fixed.yaml", Rig: outputsRig()},
			wantLines: []string{"wrote report check.html", "wrote no corrected rig to fixed.yaml: no sensor pair could be checked"},
			wantFiles: []string{"check.html"}, skipped: true},
		{name: "rig without the sensor", rep: outputsReport(check.Miscalibrated),
			o:       Outputs{Fix: true, FixFrom: check.Miscalibrated, Out: "fixed.yaml", Rig: &rig.Rig{Version: rig.Version, BaseFrame: "base_link"}},
			wantErr: `checkrun: fix: the rig has no sensor "lidar_rear"`},
		{name: "no rig and no log", rep: outputsReport(check.Miscalibrated),
			o:       Outputs{Fix: true, FixFrom: check.Miscalibrated, Out: "fixed.yaml", Log: "missing.mcap"},
			wantErr: "missing.mcap"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			w, err := WriteOutputs(context.Background(), c.rep, c.o)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("WriteOutputs error = %v, want one containing %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if err == nil && !slices.Equal(w.Lines, c.wantLines) {
				t.Errorf("Lines = %q, want %q", w.Lines, c.wantLines)
			}
			if w.FixSkipped != c.skipped {
				t.Errorf("FixSkipped = %v, want %v", w.FixSkipped, c.skipped)
			}
			ents, _ := os.ReadDir(dir)
			var files []string
			for _, e := range ents {
				files = append(files, e.Name())
			}
			if !slices.Equal(files, c.wantFiles) {
				t.Errorf("files written = %q, want %q", files, c.wantFiles)
			}
			if c.wantX != 0 {
				fixed, err := LoadRig(filepath.Join(dir, c.o.Out))
				if err != nil {
					t.Fatal(err)
				}
				s, err := fixed.Sensor("lidar_rear")
				if err != nil {
					t.Fatal(err)
				}
				if x := s.Extrinsic.Translation[0]; x < c.wantX-1e-9 || x > c.wantX+1e-9 {
					t.Errorf("lidar_rear x = %g, want %g", x, c.wantX)
				}
			}
		})
	}
}

func TestLoadRig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "rig.yaml")
	f, err := os.Create(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := outputsRig().Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		wantRig    bool
		wantErr    string
	}{
		{name: "no path", path: ""},
		{name: "rig", path: good, wantRig: true},
		{name: "missing", path: filepath.Join(dir, "missing.yaml"), wantErr: "no such file"},
		{name: "not a rig", path: bad, wantErr: bad + ": "},
	} {
		t.Run(c.name, func(t *testing.T) {
			rg, err := LoadRig(c.path)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("LoadRig(%q) error = %v, want one containing %q", c.path, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (rg != nil) != c.wantRig {
				t.Errorf("LoadRig(%q) = %v, want a rig: %v", c.path, rg, c.wantRig)
			}
		})
	}
}

// TestWriteOverlays: the pictures report.Overlays makes are written into
// the --overlays folder (created), and a folder that cannot be made is an
// error.
func TestWriteOverlays(t *testing.T) {
	rep := &check.Report{Pairs: []check.PairResult{{Kind: "lidar-lidar", Sensor: "lidar_rear", Reference: "lidar_top",
		Windows: []check.Window{{Start: 0, End: 1e9, Score: 1}, {Start: 1e9, End: 2e9, Score: 0.9}}}}}
	dir := filepath.Join(t.TempDir(), "pics")
	w, err := WriteOutputs(context.Background(), rep, Outputs{Overlays: dir})
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "time_lidar-lidar_lidar_rear_lidar_top.png" {
		t.Errorf("wrote %v, want the pair's time plot", ents)
	}
	if want := fmt.Sprintf("wrote 1 picture(s) in %s", dir); !slices.Equal(w.Lines, []string{want}) {
		t.Errorf("Lines = %q, want %q", w.Lines, want)
	}
	file := filepath.Join(dir, ents[0].Name())
	if _, err := WriteOutputs(context.Background(), rep, Outputs{Overlays: filepath.Join(file, "sub")}); err == nil {
		t.Error("a folder under a regular file was accepted")
	}
}

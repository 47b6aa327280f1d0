package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fusiontest"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
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
	for _, format := range []string{"frames", "nuscenes", "mcap", "kitti", "cvat", "segments", "xtreme1"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, format)
			if format == "mcap" {
				out += ".mcap"
			}
			code, stdout, errs := runCLI(t, "fuse", log, "--format", format, "-o", out, "--json")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var sum fuseapp.Summary
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
	if code, _, errs := runCLI(t, "fuse", log, "--format", "ply", "-o", filepath.Join(dir, "x")); code != exitUsage ||
		!strings.Contains(errs, "want frames, nuscenes, mcap, kitti, cvat, segments or xtreme1") {
		t.Errorf("unknown format: exit %d (%s), want %d listing the formats", code, errs, exitUsage)
	}
	if code, _, _ := runCLI(t, "fuse", log); code != exitUsage {
		t.Errorf("missing -o: exit %d, want %d", code, exitUsage)
	}
}

// nuScenes output of a fixture log: every token resolves, every
// sample_data has an ego pose, calibrated_sensor equals the truth
// extrinsics (nuScenes stores quaternions w,x,y,z; the truth x,y,z,w).
func TestFuseNuScenesAgainstTruth(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--duration", "1s", "--camera-size", "160x100", "-q", "-o", log); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	tf, err := os.Open(strings.TrimSuffix(log, ".mcap") + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	truth, err := fixtures.LoadTruth(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "nusc")
	if code, _, errs := runCLI(t, "fuse", log, "--format", "nuscenes", "-o", out, "-q"); code != exitOK {
		t.Fatalf("fuse: exit %d: %s", code, errs)
	}
	tables := map[string][]map[string]any{}
	for _, name := range []string{"attribute", "calibrated_sensor", "category", "ego_pose", "instance", "log", "map",
		"sample", "sample_annotation", "sample_data", "scene", "sensor", "visibility"} {
		b, err := os.ReadFile(filepath.Join(out, "v1.0-rigsync", name+".json"))
		if err != nil {
			t.Fatalf("table %s: %v", name, err)
		}
		var rows []map[string]any
		if err := json.Unmarshal(b, &rows); err != nil {
			t.Fatalf("table %s: %v", name, err)
		}
		tables[name] = rows
	}
	index := map[string]map[string]map[string]any{}
	for name, rows := range tables {
		index[name] = map[string]map[string]any{}
		for _, r := range rows {
			index[name][r["token"].(string)] = r
		}
	}
	resolve := func(table, token, what string) map[string]any {
		r, ok := index[table][token]
		if !ok {
			t.Errorf("%s token %q does not resolve in %s", what, token, table)
		}
		return r
	}
	if len(tables["sample_data"]) == 0 || len(tables["sample"]) == 0 {
		t.Fatalf("%d sample_data, %d samples", len(tables["sample_data"]), len(tables["sample"]))
	}
	for _, sd := range tables["sample_data"] {
		resolve("sample", sd["sample_token"].(string), "sample_data.sample_token")
		resolve("ego_pose", sd["ego_pose_token"].(string), "sample_data.ego_pose_token")
		resolve("calibrated_sensor", sd["calibrated_sensor_token"].(string), "sample_data.calibrated_sensor_token")
		for _, link := range []string{"prev", "next"} {
			if tok := sd[link].(string); tok != "" {
				resolve("sample_data", tok, "sample_data."+link)
			}
		}
		if _, err := os.Stat(filepath.Join(out, sd["filename"].(string))); err != nil {
			t.Errorf("sample_data file: %v", err)
		}
	}
	for _, s := range tables["sample"] {
		resolve("scene", s["scene_token"].(string), "sample.scene_token")
	}
	checked := 0
	for _, cs := range tables["calibrated_sensor"] {
		sensor := resolve("sensor", cs["sensor_token"].(string), "calibrated_sensor.sensor_token")
		if sensor == nil {
			continue
		}
		st := truth.Sensor(strings.ToLower(sensor["channel"].(string)))
		if st == nil {
			continue // a channel that merges several sensors
		}
		want := st.ExtrinsicAt(truth.Start)
		tr, rot := cs["translation"].([]any), cs["rotation"].([]any)
		q := [4]float64{want.RotationXYZW[3], want.RotationXYZW[0], want.RotationXYZW[1], want.RotationXYZW[2]} // w,x,y,z
		sign := 1.0
		if rot[0].(float64)*q[0] < 0 {
			sign = -1
		}
		for i := 0; i < 3; i++ {
			if d := tr[i].(float64) - want.Translation[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s translation %v, truth %v", sensor["channel"], tr, want.Translation)
				break
			}
		}
		for i := 0; i < 4; i++ {
			if d := rot[i].(float64) - sign*q[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s rotation (w,x,y,z) %v, truth %v", sensor["channel"], rot, q)
				break
			}
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d calibrated sensors compared with the truth", checked)
	}
}

// A run killed midway and resumed gives the same output as an
// uninterrupted one.
func TestFuseKilledAndResumed(t *testing.T) {
	log := fuseFixture(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if code, _, errs := runCLI(t, "fuse", log, "-o", full, "-q"); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
	}
	// The "killed" run: the pipeline stops after 4 frames and the writer
	// is never closed, as when the process dies.
	part := filepath.Join(dir, "part")
	r, err := mcapread.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frames.New(part, frames.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kill := errors.New("killed")
	p := &fusion.Pipeline{Reader: r, BaseFrame: "base_link", Tolerance: 50 * time.Millisecond, Ego: "auto"}
	if err := p.Run(context.Background(), &fusiontest.KillAfter{Sink: w, N: 4, Err: kill}); !errors.Is(err, kill) {
		t.Fatalf("killed run: %v", err)
	}
	r.Close()
	if code, _, _ := runCLI(t, "fuse", log, "-o", part, "-q"); code == exitOK {
		t.Fatal("writing into the half-written folder without --resume was accepted")
	}
	writeKilledRecord(t, log, "frames", part) // what the killed run wrote first
	if code, _, errs := runCLI(t, "fuse", log, "-o", part, "--resume", "-q"); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	a, b := fusiontest.TreeDigest(t, full), fusiontest.TreeDigest(t, part)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("uninterrupted run has %d files, resumed run %d", len(a), len(b))
	}
	for name, h := range a {
		if b[name] != h {
			t.Errorf("%s differs between the uninterrupted and the resumed run", name)
		}
	}
}

// A failed single-file run leaves neither the output nor its
// temporary file behind.
func TestFuseMCAPFailedRunLeavesNothing(t *testing.T) {
	log := fuseFixture(t)
	out := filepath.Join(t.TempDir(), "fused.mcap")
	// The pipeline fails once the output is open: no such reference LiDAR.
	g := &globalOptions{Quiet: true, stdout: os.Stdout, stderr: os.Stderr}
	o := fuseapp.Flags{Format: "mcap", Out: out, Frame: "base_link", Tolerance: 50 * time.Millisecond, Ego: "auto", Reference: "/no/such/lidar"}
	if err := runFuse(context.Background(), g, o, []string{log}); err == nil {
		t.Fatal("a run with a missing reference LiDAR succeeded")
	}
	for _, p := range []string{out, out + ".tmp"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind after a failed run (stat: %v)", p, err)
		}
	}
}

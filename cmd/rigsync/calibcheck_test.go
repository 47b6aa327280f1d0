package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/checkapp"
)

func TestCalibCheckUsage(t *testing.T) {
	dir := t.TempDir()
	rigPath := filepath.Join(dir, "rig.yaml")
	if err := os.WriteFile(rigPath, []byte("version: 1\nbase_frame: base_link\nsensors: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{}, exitUsage, "at least 1"},
		{[]string{"x.mcap", "--fix"}, exitUsage, "-o"},
		{[]string{"x.mcap", "-o", "y.yaml"}, exitUsage, "--fix"},
		{[]string{"x.mcap", "--window", "0s"}, exitUsage, "--window"},
		{[]string{"x.mcap", "--max-frames", "0"}, exitUsage, "--max-frames"},
		{[]string{"x.mcap", "--workers", "-1"}, exitUsage, "--workers"},
		{[]string{"x.mcap", "--kinds", "lidar-camera,bogus"}, exitUsage, "bogus"},
		{[]string{"x.mcap", "--fix", "--fix-from", "ok", "-o", "y.yaml"}, exitUsage, "--fix-from"},
		{[]string{"x.mcap", "--rig", rigPath, "--fix", "-o", rigPath}, exitUsage, "never modified"},
		{[]string{"x.mcap", "--rig", rigPath, "--fix", "-o", filepath.Join(dir, ".", "rig.yaml")}, exitUsage, "never modified"},
		{[]string{"x.mcap", "--bogus"}, exitUsage, "bogus"},
		{[]string{"x.mcap", "--ego", "imu"}, exitUsage, "--ego"},
		{[]string{rigPath, "--fix", "-o", rigPath}, exitUsage, "never modified"},
		{[]string{rigPath, "--report", rigPath}, exitUsage, "never modified"},
		{[]string{filepath.Join(dir, "missing.mcap")}, exitError, "missing.mcap"},
		{[]string{filepath.Join(dir, "missing.mcap"), "--rig", filepath.Join(dir, "missing.yaml")}, exitError, "missing.yaml"},
	} {
		code, _, errs := runCLI(t, append([]string{"calib", "check"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("calib check %q: exit %d (%s), want %d mentioning %q", tc.args, code, strings.TrimSpace(errs), tc.code, tc.msg)
		}
	}
	code, out, _ := runCLI(t, "calib", "check", "--help")
	if code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	for _, want := range []string{"Exit codes", "4  miscalibrated", "3  suspicious", "--fix", "--report", "Example", "rigsync calib check drive.mcap"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestCalibCheckExitCode(t *testing.T) {
	pair := func(v check.Verdict) check.PairResult {
		return check.PairResult{Kind: check.KindLidarCamera, Sensor: "cam", Reference: "lidar", Verdict: v}
	}
	for _, tc := range []struct {
		name  string
		pairs []check.PairResult
		code  int
	}{
		{"all ok", []check.PairResult{pair(check.OK), pair(check.Skipped)}, exitOK},
		{"suspicious", []check.PairResult{pair(check.OK), pair(check.Suspicious)}, exitProblems},
		{"miscalibrated", []check.PairResult{pair(check.Suspicious), pair(check.Miscalibrated), pair(check.OK)}, exitMiscalibrated},
		{"nothing checked", []check.PairResult{pair(check.Skipped)}, exitProblems},
		{"ok but partial", []check.PairResult{pair(check.OK), {Kind: check.KindRadarLidar, Sensor: "radar", Reference: "lidar", Verdict: check.OK,
			DOFs: []check.DOF{{Name: check.DOFZ, Unit: "m", Status: check.Unobservable, Matters: true}}}}, exitProblems},
		{"no pairs", nil, exitProblems},
	} {
		err := checkExit(&check.Report{Pairs: tc.pairs})
		code := exitOK
		var ce calibrationError
		var pe problemsError
		switch {
		case errors.As(err, &ce):
			code = exitMiscalibrated
		case errors.As(err, &pe):
			code = exitProblems
		case err != nil:
			code = exitError
		}
		if code != tc.code {
			t.Errorf("%s: %v → exit %d, want %d", tc.name, err, code, tc.code)
		}
	}
}

// checkFixture writes a short minimal-rig log with the given extra
// "fixtures generate" flags.
func checkFixture(t *testing.T, name string, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".mcap")
	args := append([]string{"fixtures", "generate", "--preset", "minimal", "--duration", "3s", "-q", "-o", path}, extra...)
	if code, _, errs := runCLI(t, args...); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	return path
}

// decodeReport decodes --json output strictly into the Report schema
// (check.Report and the log readers' "problems", internal/app/losses).
func decodeReport(t *testing.T, out string) *check.Report {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var rep struct {
		check.Report
		Problems []fusion.InputProblem `json:"problems"`
		Fixed    []checkapp.Fixed      `json:"fixed"`
	}
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("--json does not decode to the report schema: %v\n%s", err, out)
	}
	if rep.Problems == nil {
		t.Fatalf("--json has no \"problems\" list\n%s", out)
	}
	return &rep.Report
}

// decodeFixed is the "fixed" list of calib check --json --fix: which DOFs
// the corrected rig corrected and which it left, per applied pair.
func decodeFixed(t *testing.T, out string) []checkapp.Fixed {
	t.Helper()
	var v struct {
		Fixed []checkapp.Fixed `json:"fixed"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	return v.Fixed
}

// The true calibration: every checked pair ok, exit 0.
func TestCalibCheckTrueCalibration(t *testing.T) {
	if testing.Short() {
		t.Skip("fuses a fixture log")
	}
	// --tf: ego motion for the camera-time and hand-eye checks.
	log := checkFixture(t, "true", "--second-lidar", "--tf")
	code, out, errs := runCLI(t, "calib", "check", log, "--json")
	// Every checked pair is ok, but not every degree of freedom is
	// observed (the camera's translation is not searched, hand-eye gives
	// no translation): partial, exit 3, naming the pairs.
	if code != exitProblems || !strings.Contains(errs, "ok but partial") || !strings.Contains(errs, "x, y, z not searched") {
		t.Fatalf("exit %d, want %d (partial): %s\n%s", code, exitProblems, errs, out)
	}
	rep := decodeReport(t, out)
	if rep.PartialPairs == 0 {
		t.Errorf("partial_pairs 0, want > 0")
	}
	for _, p := range rep.Pairs {
		if p.Verdict == check.OK && len(p.NotObserved) > 0 && !strings.HasPrefix(p.VerdictText, "ok (partial: ") {
			t.Errorf("%s %s: verdict_text %q with not_observed %v", p.Kind, p.Sensor, p.VerdictText, p.NotObserved)
		}
		if p.Verdict != check.Skipped && p.Kind != check.KindCameraTime && len(p.DOFs) != 6 {
			t.Errorf("%s %s: %d dofs, want 6", p.Kind, p.Sensor, len(p.DOFs))
		}
	}
	if rep.Log != log || rep.Clock == "" || rep.End <= rep.Start || rep.Verdict != check.OK {
		t.Errorf("report header: log %q clock %q span %d..%d verdict %q", rep.Log, rep.Clock, rep.Start, rep.End, rep.Verdict)
	}
	checked := map[string]bool{}
	for _, p := range rep.Pairs {
		if p.Verdict != check.OK && p.Verdict != check.Skipped {
			t.Errorf("%s %s→%s: %s (%s), want ok", p.Kind, p.Sensor, p.Reference, p.Verdict, p.Note)
		}
		if p.Verdict == check.OK {
			checked[p.Kind+" "+p.Sensor] = true
		}
	}
	for _, want := range []string{check.KindLidarCamera + " cam_front", check.KindLidarLidar + " lidar_rear"} {
		if !checked[want] {
			t.Errorf("no ok %s pair in %d pairs", want, len(rep.Pairs))
		}
	}
}

// The README's example on the minimal preset without ego motion: every pair
// is skipped. The human output, --json and the HTML report say that
// nothing could be checked, --fix writes no rig (and says so), exit 3.
func TestCalibCheckNothingChecked(t *testing.T) {
	if testing.Short() {
		t.Skip("fuses a fixture log")
	}
	log := checkFixture(t, "noego")
	dir := t.TempDir()
	html, fixed := filepath.Join(dir, "check.html"), filepath.Join(dir, "rig.fixed.yaml")
	code, out, errs := runCLI(t, "calib", "check", log, "--report", html, "--fix", "-o", fixed)
	if code != exitProblems {
		t.Fatalf("exit %d, want %d: %s\n%s", code, exitProblems, errs, out)
	}
	for _, w := range []string{"verdict: nothing could be checked (all ", "wrote no corrected rig to " + fixed} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, w := range []string{"verdict: ok", "wrote corrected rig"} {
		if strings.Contains(out, w) {
			t.Errorf("output claims %q:\n%s", w, out)
		}
	}
	if !strings.Contains(errs, "no sensor pair could be checked") || !strings.Contains(errs, "nothing written to "+fixed) {
		t.Errorf("stderr %q: want why it exits 3 and that --fix wrote nothing", errs)
	}
	if _, err := os.Stat(fixed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--fix wrote %s (%v) though nothing was checked", fixed, err)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`<div class="banner v-unchecked" id="verdict"><strong>nothing could be checked</strong>`)) {
		t.Errorf("the report's banner does not say nothing could be checked")
	}

	code, out, _ = runCLI(t, "calib", "check", log, "--json")
	if code != exitProblems {
		t.Fatalf("--json: exit %d, want %d", code, exitProblems)
	}
	rep := decodeReport(t, out)
	if rep.Verdict != check.Unchecked || rep.CheckedPairs != 0 || rep.SkippedPairs != len(rep.Pairs) || len(rep.Pairs) == 0 {
		t.Errorf("--json: verdict %q, checked_pairs %d, skipped_pairs %d of %d pairs; want unchecked, 0, all",
			rep.Verdict, rep.CheckedPairs, rep.SkippedPairs, len(rep.Pairs))
	}
}

// A sensor mounted off its /tf_static extrinsic (a camera pitched by 1°, a
// LiDAR shifted by 5 cm): exit 4, the pair miscalibrated, the correction
// Δ⁻¹ (the fixture publishes T_true·Δ); --fix writes the input rig times
// the correction and leaves the input byte-identical; --report and
// --overlays write their files.
func TestCalibCheckMiscalibrated(t *testing.T) {
	if testing.Short() {
		t.Skip("fuses fixture logs")
	}
	for _, tc := range []struct {
		name, fault, sensor, kind string
		rpyDeg, xyz               [3]float64
		flags                     []string
		// useRig passes the drafted rig as --rig; without it --fix drafts
		// the same rig from the log itself.
		useRig bool
	}{
		{name: "camera", fault: "cam_front=0,1,0,0,0,0", sensor: "cam_front", kind: check.KindLidarCamera,
			rpyDeg: [3]float64{0, 1, 0}},
		{name: "lidar", fault: "lidar_rear=0,0,0,0.05,0,0", sensor: "lidar_rear", kind: check.KindLidarLidar,
			xyz: [3]float64{0.05, 0, 0}, flags: []string{"--second-lidar"}, useRig: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// --tf: ego motion, so sweeps are deskewed (a real rig has
			// odometry); without it two LiDARs sweeping at different
			// phases disagree by the distance driven between them.
			log := checkFixture(t, "mis", append([]string{"--tf", "--miscalibrate", tc.fault}, tc.flags...)...)
			dir := t.TempDir()
			// The rig under test: drafted from the log, so it holds the
			// wrong extrinsic the log publishes.
			code, rigYAML, errs := runCLI(t, "calib", "rig", "init", log)
			if code != exitOK {
				t.Fatalf("rig init: exit %d: %s", code, errs)
			}
			rigPath := filepath.Join(dir, "rig.yaml")
			if err := os.WriteFile(rigPath, []byte(rigYAML), 0o644); err != nil {
				t.Fatal(err)
			}
			fixedPath := filepath.Join(dir, "rig.fixed.yaml")
			html := filepath.Join(dir, "check.html")
			ovDir := filepath.Join(dir, "pictures")
			logBytes, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"calib", "check", log, "--json", "--kinds", tc.kind, "--report", html, "--overlays", ovDir, "--fix", "-o", fixedPath}
			wantRig := ""
			if tc.useRig {
				args = append(args, "--rig", rigPath)
				wantRig = rigPath
			}
			code, out, errs := runCLI(t, args...)
			if code != exitMiscalibrated {
				t.Fatalf("exit %d, want %d: %s\n%s", code, exitMiscalibrated, errs, out)
			}
			if !strings.Contains(errs, tc.sensor) {
				t.Errorf("stderr does not name %s: %s", tc.sensor, errs)
			}
			rep := decodeReport(t, out)
			if rep.Rig != wantRig || rep.Verdict != check.Miscalibrated {
				t.Errorf("report rig %q verdict %q", rep.Rig, rep.Verdict)
			}
			var pr *check.PairResult
			for i, p := range rep.Pairs {
				if p.Kind != tc.kind {
					t.Errorf("--kinds %s, but the report has a %s pair", tc.kind, p.Kind)
				}
				if p.Sensor == tc.sensor {
					pr = &rep.Pairs[i]
				}
			}
			if pr == nil || pr.Verdict != check.Miscalibrated {
				t.Fatalf("%s %s pair: %+v", tc.sensor, tc.kind, pr)
			}
			// --json says what --fix did: the observed DOFs corrected,
			// the others left as they were.
			fx := decodeFixed(t, out)
			if len(fx) != 1 || fx[0].Sensor != tc.sensor || fx[0].Kind != tc.kind || len(fx[0].Corrected)+len(fx[0].Kept) != 6 {
				t.Fatalf("\"fixed\" = %+v, want one entry for %s listing six DOFs", fx, tc.sensor)
			}
			for _, d := range pr.DOFs {
				if (d.Status == check.Observed) != slices.Contains(fx[0].Corrected, d.Name) {
					t.Errorf("%s is %s, but \"fixed\" corrected %v", d.Name, d.Status, fx[0].Corrected)
				}
			}
			C := transform16(t, pr.Correction)
			const deg = math.Pi / 180
			delta, _ := se3.FromRPY(tc.rpyDeg[0]*deg, tc.rpyDeg[1]*deg, tc.rpyDeg[2]*deg, r3.Vec{X: tc.xyz[0], Y: tc.xyz[1], Z: tc.xyz[2]})
			// A convention check (sign, axes, side of the product): a wrong
			// one is off by ≥ 1.4° or 7 cm. Accuracy on longer logs is
			// the checkers' own tests' business (calib/check/...).
			if a, d := se3.Diff(C, delta.Inverse()); a/deg > 0.4 || d > 0.02 {
				t.Errorf("correction %v is %.3f° / %.3f m from Δ⁻¹ %v", C, a/deg, d, delta.Inverse())
			}

			// --fix: the input is untouched; the output is input ·
			// correction for the sensor and the input for every other.
			after, err := os.ReadFile(rigPath)
			if err != nil || !bytes.Equal(after, []byte(rigYAML)) {
				t.Fatalf("the input rig changed (%v)", err)
			}
			if after, err := os.ReadFile(log); err != nil || !bytes.Equal(after, logBytes) {
				t.Fatalf("the log changed (%v)", err)
			}
			in, fixed := loadRigT(t, rigPath), loadRigT(t, fixedPath)
			if len(fixed.Sensors) != len(in.Sensors) {
				t.Fatalf("fixed rig has %d sensors, input %d", len(fixed.Sensors), len(in.Sensors))
			}
			for i := range in.Sensors {
				s, f := &in.Sensors[i], &fixed.Sensors[i]
				if s.Extrinsic == nil {
					continue
				}
				Ts, err1 := s.T()
				Tf, err2 := f.T()
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: %v %v", s.Name, err1, err2)
				}
				want := Ts
				if s.Name == tc.sensor {
					want = Ts.Mul(C)
				}
				if a, d := se3.Diff(Tf, want); a > 1e-6 || d > 1e-6 {
					t.Errorf("fixed %s = %v, want %v", s.Name, Tf, want)
				}
			}

			page, err := os.ReadFile(html)
			if err != nil || !bytes.Contains(page, []byte("miscalibrated")) || !bytes.Contains(page, []byte("data:image/")) {
				t.Errorf("--report: %v, %d bytes", err, len(page))
			}
			if pics, _ := filepath.Glob(filepath.Join(ovDir, "*")); len(pics) == 0 {
				t.Error("--overlays wrote nothing")
			}
		})
	}
}

func transform16(t *testing.T, m [16]float64) se3.Transform {
	t.Helper()
	var a [4][4]float64
	for k := range 16 {
		a[k/4][k%4] = m[k]
	}
	T, err := se3.FromMatrix4(a)
	if err != nil {
		t.Fatalf("correction %v: %v", m, err)
	}
	return T
}

// writeRigT writes rg to path as rig.yaml.
func writeRigT(t *testing.T, path string, rg *rig.Rig) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rg.Write(f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func loadRigT(t *testing.T, path string) *rig.Rig {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rg, err := rig.Load(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rg
}

// BenchmarkCalibCheckUrban20s is "calib check" on the default fixture log
// (the urban rig, 20 s: six cameras, a 64×1024 LiDAR, five radars, IMU),
// with the time of "fuse" on the same log, measured in the same run, as the
// baseline: wall-s/check is the number the issue asks for (target ≤ 60 s
// on 2 cores), check/fuse how much the checks cost over fusing alone.
//
//	go test -run '^$' -bench CalibCheckUrban20s -benchtime 1x ./cmd/rigsync
func BenchmarkCalibCheckUrban20s(b *testing.B) {
	dir := b.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	if code := run(b.Context(), []string{"fixtures", "generate", "--duration", "20s", "-q", "-o", log}, io.Discard, io.Discard); code != exitOK {
		b.Fatalf("fixtures generate: exit %d", code)
	}
	t0 := time.Now()
	if code := run(b.Context(), []string{"fuse", log, "--format", "mcap", "-q", "-o", filepath.Join(dir, "fused.mcap")}, io.Discard, io.Discard); code != exitOK {
		b.Fatalf("fuse: exit %d", code)
	}
	fuse := time.Since(t0)
	b.ResetTimer()
	t0 = time.Now()
	for b.Loop() {
		var errb bytes.Buffer
		// Any verdict will do here; the tests judge the verdicts.
		if code := run(b.Context(), []string{"calib", "check", log, "-q", "--json"}, io.Discard, &errb); code == exitError || code == exitUsage {
			b.Fatalf("calib check: exit %d: %s", code, errb.String())
		}
	}
	per := time.Since(t0).Seconds() / float64(b.N)
	b.ReportMetric(per, "wall-s/check")
	b.ReportMetric(fuse.Seconds(), "wall-s/fuse")
	b.ReportMetric(per/fuse.Seconds(), "check/fuse")
}

package checkapp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
)

// The table of the human output: worst verdict first, camera-time
// corrections in ms, the change time in seconds since the start, notes on
// one line; then the verdict line and the skipped pairs with their reasons.
func TestWriteText(t *testing.T) {
	at := int64(1e9 + 2_500_000_000)
	rep := &check.Report{Log: "drive.mcap", Clock: "log", Start: 1e9, End: 11e9, Verdict: check.Miscalibrated,
		Pairs: []check.PairResult{
			{Kind: check.KindCameraTime, Sensor: "cam_front", Reference: "lidar_top", Verdict: check.OK, Score: 0.98,
				ScoreName: "edge_alignment", TimeOffsetNs: -1_500_000, Uncertainty: check.Uncertainty{TimeNs: 500_000}},
			{Kind: check.KindRadarLidar, Sensor: "radar_front", Reference: "lidar_top", Verdict: check.Skipped, Note: "no\ndetections"},
			{Kind: check.KindLidarCamera, Sensor: "cam_front", Reference: "lidar_top", Verdict: check.Miscalibrated, Score: 0.8,
				ScoreName: "edge_alignment", CorrectionRotationDeg: 0.5, CorrectionTranslationM: 0.01, ChangedAt: &at,
				ChangeUncertaintyNs: 4e8, Uncertainty: check.Uncertainty{RotationDeg: 0.02, TranslationM: 0.003}},
		}}
	var buf bytes.Buffer
	if err := WriteText(&buf, rep); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, want := range [][]string{
		{"log drive.mcap", "the log", "10.00 s", "clock log"},
		{"VERDICT", "SENSOR", "CORRECTION", "CHANGED"},
		{"miscalibrated", "cam_front", "lidar-camera", "0.8 edge_alignment", "0.500° 0.010 m", "0.020° 0.003 m", "2.50 s ± 0.40"},
		{"ok", "camera-time", "-1.50 ms", "0.50 ms"},
		{"skipped", "radar_front", "no detections"},
		{"verdict: miscalibrated (2 pair(s) checked: 1 miscalibrated, 1 ok; 1 skipped, not counted"},
		{"skipped radar_front (radar-lidar vs lidar_top): no detections"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}

// The verdict line counts only the pairs that were scored: a report whose
// pairs were all skipped says that nothing could be checked (never "ok"),
// and the skipped pairs are listed with their reasons.
func TestWriteTextSummary(t *testing.T) {
	skip := func(kind, sensor, note string) check.PairResult {
		return check.PairResult{Kind: kind, Sensor: sensor, Reference: "lidar_top", Verdict: check.Skipped, Note: note}
	}
	ok := check.PairResult{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: check.OK, ScoreName: "icp_rmse_m"}
	for _, tc := range []struct {
		name    string
		pairs   []check.PairResult
		want    []string
		notWant []string
	}{
		{"all skipped", []check.PairResult{skip(check.KindCameraTime, "cam_front", "no ego motion"),
			skip(check.KindHandEye, "lidar_top", "0 usable motions"), skip(check.KindLidarCamera, "cam_front", "no ego motion")},
			[]string{"verdict: nothing could be checked (all 3 pair(s) skipped", "skipped cam_front (camera-time vs lidar_top): no ego motion",
				"skipped lidar_top (hand-eye vs lidar_top): 0 usable motions", "skipped cam_front (lidar-camera vs lidar_top): no ego motion"},
			[]string{"verdict: ok"}},
		{"no pairs", nil, []string{"verdict: nothing could be checked (no sensor pair to check)"}, []string{"verdict: ok"}},
		{"ok and skipped", []check.PairResult{ok, skip(check.KindHandEye, "lidar_top", "0 usable motions")},
			[]string{"verdict: ok (1 pair(s) checked: 1 ok; 1 skipped, not counted", "skipped lidar_top (hand-eye vs lidar_top): 0 usable motions"},
			[]string{"2 pair(s)", "skipped lidar_rear"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Verdict is what Run set before the fix: "ok" for all
			// skipped. The summary goes by the pairs.
			var buf bytes.Buffer
			WriteText(&buf, &check.Report{Log: "drive.mcap", Clock: "log", Verdict: check.OK, Pairs: tc.pairs})
			out := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	if err := WriteText(failWriter{}, &check.Report{Log: "drive.mcap"}); err == nil || err.Error() != "disk full" {
		t.Errorf("failed writer: %v", err)
	}
}

func TestGate(t *testing.T) {
	pair := func(sensor string, v check.Verdict) check.PairResult {
		return check.PairResult{Kind: check.KindLidarCamera, Sensor: sensor, Reference: "lidar", Verdict: v}
	}
	for _, tc := range []struct {
		name  string
		pairs []check.PairResult
		want  string // the error; "" = nil
		v     check.Verdict
	}{
		{"all ok", []check.PairResult{pair("a", check.OK), pair("b", check.Skipped)}, "", ""},
		{"suspicious", []check.PairResult{pair("a", check.OK), pair("b", check.Suspicious), pair("c", check.Suspicious)},
			"suspicious: b (lidar-camera vs lidar), c (lidar-camera vs lidar)", check.Suspicious},
		{"miscalibrated first", []check.PairResult{pair("a", check.Suspicious), pair("b", check.Miscalibrated), pair("c", check.OK)},
			"miscalibrated: b (lidar-camera vs lidar)", check.Miscalibrated},
		{"nothing checked", []check.PairResult{pair("a", check.Skipped), pair("b", check.Skipped)},
			"no sensor pair could be checked (2 skipped)", check.Unchecked},
		{"no pairs", nil, "no sensor pair could be checked (0 skipped)", check.Unchecked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Gate(&check.Report{Pairs: tc.pairs})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Gate = %v, want nil", err)
				}
				return
			}
			ge, ok := errors.AsType[*GateError](err)
			if !ok || err.Error() != tc.want || ge.Verdict != tc.v {
				t.Errorf("Gate = %v (%T), want %q with verdict %s", err, err, tc.want, tc.v)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	rigPath := filepath.Join(dir, "rig.yaml")
	if err := os.WriteFile(rigPath, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := func() (Options, Outputs) {
		return Options{Logs: []string{"x.mcap"}, Ego: "auto", Window: DefaultWindow, MaxFrames: DefaultMaxFrames},
			Outputs{FixFrom: check.Miscalibrated}
	}
	for _, tc := range []struct {
		name string
		edit func(o *Options, out *Outputs)
		want string // in the error; "" = valid
	}{
		{"defaults", func(o *Options, out *Outputs) {}, ""},
		{"fix", func(o *Options, out *Outputs) { out.Fix, out.Out, out.FixFrom = true, "fixed.yaml", check.Suspicious }, ""},
		{"every kind, rig", func(o *Options, out *Outputs) { o.Kinds, o.RigPath, o.ScaleIntrinsics = Kinds, rigPath, true }, ""},
		{"fix without -o", func(o *Options, out *Outputs) { out.Fix = true }, "--fix needs -o FILE"},
		{"-o without fix", func(o *Options, out *Outputs) { out.Out = "y.yaml" }, "add --fix"},
		{"scale without rig", func(o *Options, out *Outputs) { o.ScaleIntrinsics = true }, "--scale-intrinsics"},
		{"fix-from ok", func(o *Options, out *Outputs) { out.FixFrom = check.OK }, `--fix-from "ok"`},
		{"ego", func(o *Options, out *Outputs) { o.Ego = "imu" }, `--ego "imu"`},
		{"empty ego", func(o *Options, out *Outputs) { o.Ego = "" }, `--ego ""`},
		{"window", func(o *Options, out *Outputs) { o.Window = 0 }, "--window 0s"},
		{"negative window", func(o *Options, out *Outputs) { o.Window = -time.Second }, "--window -1s"},
		{"max-frames", func(o *Options, out *Outputs) { o.MaxFrames = 0 }, "--max-frames 0"},
		{"kinds", func(o *Options, out *Outputs) { o.Kinds = []string{check.KindLidarCamera, "bogus"} }, `--kinds "bogus"`},
		{"-o is the rig", func(o *Options, out *Outputs) {
			o.RigPath, out.Fix, out.Out = rigPath, true, filepath.Join(dir, ".", "rig.yaml")
		}, "never modified"},
		{"-o is a log", func(o *Options, out *Outputs) { out.Fix, out.Out = true, "x.mcap" }, "-o x.mcap is an input"},
		{"report is the rig", func(o *Options, out *Outputs) { o.RigPath, out.Report = rigPath, rigPath }, "--report " + rigPath + " is an input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, out := good()
			tc.edit(&o, &out)
			err := Validate(o, out)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if _, ok := errors.AsType[UsageError](err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want a usage error with %q", err, tc.want)
			}
		})
	}
}

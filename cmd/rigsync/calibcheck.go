package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/internal/app/checkapp"
)

// calibCheckOptions are the flags of "calib check".
type calibCheckOptions struct {
	Rig       string
	ScaleIntr bool
	Base      string
	Ego       string
	Report    string
	Overlays  string
	Window    time.Duration
	MaxFrames int
	Kinds     []string
	Fix       bool
	FixFrom   string
	Out       string
}

func newCalibCheckCommand(g *globalOptions) *cobra.Command {
	var o calibCheckOptions
	c := &cobra.Command{
		Use:   "check LOG.mcap [LOG2.mcap...]",
		Short: "Check a rig's calibration on a recorded log: which sensor moved, by how much, since when",
		Long: `check tells from a log whether the calibration still holds. It fuses the log
once with the calibration under test (--rig, else the log's own /tf_static
and camera infos; never anything else) and scores every sensor pair it can:

  lidar-camera  edge alignment (Levinson & Thrun): image edges against LiDAR
                depth discontinuities, over frames spread through the log,
                with a search over perturbed extrinsics (rotation within
                about ±1°) for the best correction
  camera-time   the same score against shifted camera times: a camera clock
                offset (needs turns; skipped on a nearly straight drive)
  lidar-lidar   ICP in the overlap of two LiDARs: residual and correction
  radar-lidar   distance of radar detections to LiDAR surfaces
  hand-eye      IMU/odometry motion against LiDAR motion

With --rig, the rig's camera intrinsics are used for every image, whatever
the log's CameraInfo says; where the two disagree (K, distortion, size)
the report warns once per camera ("warnings"). Images of another size
than the rig.yaml width × height are an error; --scale-intrinsics scales
the rig's K to the images instead (as in fuse).

Several logs of one drive (split recordings) are merged in log-time order.
LiDAR sweeps are deskewed with the ego motion (--ego, as in fuse). A log of
a moving vehicle without odometry, GNSS or /tf cannot be deskewed: the
lidar-camera, camera-time, lidar-lidar, radar-lidar and hand-eye checks are
skipped with that reason (they would compare sensors that saw the scene
from places up to a sweep's drive apart).

Each pair gets a verdict: ok, suspicious (a correction about the size of its
uncertainty, or a borderline score), miscalibrated (a clear correction), or
skipped (not enough data; the note says why), with the estimated correction
and its 1-sigma uncertainty. The report's verdict is the worst verdict of
the checked pairs; skipped pairs do not count and are listed apart with
their reasons. When every pair is skipped the verdict is "unchecked":
nothing could be checked, which is not ok (--json: "verdict": "unchecked",
"checked_pairs": 0). Scoring per time window (--window) finds a
calibration that changed mid-log (a knocked camera) and dates it; a window
whose evidence is too weak to tell (few frames or edges, or a lower score
only in a weakly observed direction) is "inconclusive", with a note.

Correction convention: T_base_sensor(fixed) = T_base_sensor(current) ·
Correction, a row-major 4x4 matrix in the checked sensor's own frame (camera
frames are optical: x right, y down, z forward). Times are int64 ns on the
report's clock (its "clock" field); the human output and the pictures give
seconds since the start of the log.

Output:
  (default)          a table of the verdicts, worst first
  --json             the report: verdict, checked_pairs, skipped_pairs, and
                     per pair kind, sensor, reference, score,
                     score_name, verdict, correction (4x4 row-major),
                     correction_rotation_deg, correction_translation_m,
                     uncertainty, windows, changed_at_ns, search; and the
                     report's warnings
  --report FILE      one self-contained HTML page to open offline: verdicts
                     first, overlays before/after the correction, plots of the
                     score over time and over the search, the JSON embedded
  --overlays DIR     the pictures as files: LiDAR points coloured by depth on
                     camera images before/after the correction (JPEG), score
                     over time and over the search (PNG)
  --fix -o FILE      a corrected rig.yaml: the --rig file (or, without --rig, a
                     rig drafted from the log as "calib rig init" would) with
                     the corrections of the miscalibrated pairs applied
                     (--fix-from suspicious also applies the suspicious ones;
                     a camera-time result adjusts the camera's clock offset).
                     The input rig is never modified. When no pair could be
                     checked no rig is written (a copy would look checked).

Exit codes (for field scripts):
  0  every checked pair is ok (skipped pairs do not count)
  1  error (unreadable log or rig)
  2  usage error
  3  suspicious: some pair is suspicious, none miscalibrated; or no pair
     could be checked at all (every pair skipped)
  4  miscalibrated: some pair is miscalibrated
--report and --overlays are written whatever the verdict, --fix whenever
some pair was checked.`,
		Example: `  rigsync calib check drive.mcap
  rigsync calib check drive.mcap --rig rig.yaml --report check.html
  rigsync calib check drive.mcap --json | jq '.pairs[] | select(.verdict != "ok")'
  rigsync calib check drive.mcap --overlays check/ --window 5s --max-frames 60
  rigsync calib check drive.mcap --rig rig.yaml --fix -o rig.fixed.yaml
  rigsync calib check drive.mcap --kinds lidar-lidar,lidar-camera
  rigsync calib check drive.mcap -q || echo "recalibrate before the next drive (exit $?)"`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibCheck(cmd, g, o, args)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Rig, "rig", "", "rig.yaml with the calibration to check (default: the log's /tf_static and camera infos)")
	f.BoolVar(&o.ScaleIntr, "scale-intrinsics", false, "scale --rig intrinsics calibrated at another image size to the images (default: a size mismatch is an error)")
	f.StringVar(&o.Base, "base", "", "base frame (default: the rig's base_frame, else base_link)")
	f.StringVar(&o.Ego, "ego", "auto", "ego-motion source for deskewing and the motion checks: auto, odometry, gnss, tf or none (as in fuse)")
	f.StringVar(&o.Report, "report", "", "write a self-contained HTML report to FILE")
	f.StringVar(&o.Overlays, "overlays", "", "write overlay images and plots into DIR")
	f.DurationVar(&o.Window, "window", checkapp.DefaultWindow, "length of the time windows scored on their own (finds and dates a change)")
	f.IntVar(&o.MaxFrames, "max-frames", checkapp.DefaultMaxFrames, "frames scored per pair for the correction search, spread through the log")
	f.StringSliceVar(&o.Kinds, "kinds", nil, "only these pair kinds: "+strings.Join(checkKinds, ", ")+" (default all that apply)")
	f.BoolVar(&o.Fix, "fix", false, "write a corrected rig (needs -o)")
	f.StringVar(&o.FixFrom, "fix-from", string(check.Miscalibrated), "with --fix: apply corrections of pairs at least this bad: miscalibrated or suspicious")
	f.StringVarP(&o.Out, "output", "o", "", "with --fix: the corrected rig.yaml to write (never the --rig file)")
	return c
}

// checkKinds are the pair kinds --kinds accepts.
var checkKinds = checkapp.Kinds

// calibrationError means a pair is miscalibrated (exit 4).
type calibrationError struct{ pairs []string }

func (e calibrationError) Error() string {
	return fmt.Sprintf("miscalibrated: %s", strings.Join(e.pairs, ", "))
}

func (o *calibCheckOptions) validate(logs []string) error {
	if o.Fix && o.Out == "" {
		return usageError{errors.New("--fix needs -o FILE (the input rig is never modified)")}
	}
	if !o.Fix && o.Out != "" {
		return usageError{errors.New("-o is the corrected rig of --fix; add --fix")}
	}
	if o.ScaleIntr && o.Rig == "" {
		return usageError{errors.New("--scale-intrinsics scales the intrinsics of --rig rig.yaml; add --rig")}
	}
	if o.FixFrom != string(check.Miscalibrated) && o.FixFrom != string(check.Suspicious) {
		return usageError{fmt.Errorf("--fix-from %q: want miscalibrated or suspicious", o.FixFrom)}
	}
	switch o.Ego {
	case "auto", "odometry", "gnss", "tf", "none":
	default:
		return usageError{fmt.Errorf("--ego %q: want auto, odometry, gnss, tf or none", o.Ego)}
	}
	if o.Window <= 0 {
		return usageError{fmt.Errorf("--window %v: want a positive duration", o.Window)}
	}
	if o.MaxFrames < 1 {
		return usageError{fmt.Errorf("--max-frames %d: want at least 1", o.MaxFrames)}
	}
	for _, k := range o.Kinds {
		if !slices.Contains(checkKinds, k) {
			return usageError{fmt.Errorf("--kinds %q: want some of %s", k, strings.Join(checkKinds, ", "))}
		}
	}
	// No output may overwrite an input.
	inputs := slices.Clone(logs)
	if o.Rig != "" {
		inputs = append(inputs, o.Rig)
	}
	for _, out := range []struct{ flag, path string }{{"-o", o.Out}, {"--report", o.Report}} {
		for _, in := range inputs {
			if out.path != "" && samePath(in, out.path) {
				return usageError{fmt.Errorf("%s %s is an input; write it elsewhere (inputs are never modified)", out.flag, out.path)}
			}
		}
	}
	return nil
}

// samePath reports whether a and b name the same file (or, when b does not
// exist yet, the same cleaned absolute path).
func samePath(a, b string) bool {
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	if ea == nil && eb == nil {
		return os.SameFile(sa, sb)
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

func runCalibCheck(cmd *cobra.Command, g *globalOptions, o calibCheckOptions, logs []string) error {
	if err := o.validate(logs); err != nil {
		return err
	}
	ctx := cmd.Context()
	rg, err := checkapp.LoadRig(o.Rig)
	if err != nil {
		return err
	}
	bar := newProgress(g, "checking", -1)
	rep, err := checkapp.Run(ctx, checkapp.Options{
		Logs: logs, Rig: rg, RigPath: o.Rig, BaseFrame: o.Base, Ego: o.Ego, Window: o.Window, MaxFrames: o.MaxFrames,
		Kinds: o.Kinds, ScaleIntrinsics: o.ScaleIntr,
		Progress: func(done, total int64) {
			if total > 0 {
				bar.SetTotal(total)
			}
			bar.Set(done)
		},
	})
	bar.Finish()
	if err != nil {
		return err
	}
	written, err := checkapp.WriteOutputs(ctx, rep, checkapp.Outputs{
		Report: o.Report, Overlays: o.Overlays, Fix: o.Fix, FixFrom: check.Verdict(o.FixFrom), Out: o.Out,
		Rig: rg, Log: logs[0], BaseFrame: o.Base,
	})
	if err != nil {
		return err
	}

	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("calib check: JSON: %w", err)
		}
	} else {
		writeCheckTable(g.stdout, rep)
		for _, line := range written.Lines {
			fmt.Fprintln(g.stdout, line)
		}
	}
	err = checkExit(rep)
	if written.FixSkipped {
		err = fmt.Errorf("%w (--fix: nothing written to %s)", err, o.Out)
	}
	return err
}

// checkExit maps the verdicts to the exit code: miscalibrated (4) before
// suspicious (3); skipped pairs do not count, but a report with nothing
// but skipped pairs is a problem (3).
func checkExit(rep *check.Report) error {
	var mis, sus []string
	for _, p := range rep.Pairs {
		name := fmt.Sprintf("%s (%s vs %s)", p.Sensor, p.Kind, p.Reference)
		switch p.Verdict {
		case check.Miscalibrated:
			mis = append(mis, name)
		case check.Suspicious:
			sus = append(sus, name)
		}
	}
	switch {
	case len(mis) > 0:
		return calibrationError{mis}
	case len(sus) > 0:
		return fmt.Errorf("suspicious: %s: %w", strings.Join(sus, ", "), problemsError{len(sus)})
	case check.Overall(rep.Pairs) == check.Unchecked:
		// Nothing was verified: a gate must not read that as "ok".
		return fmt.Errorf("no sensor pair could be checked (%d skipped): %w", len(rep.Pairs), problemsError{1})
	}
	return nil
}

// writeCheckTable prints the verdicts, worst first, then the report's
// overall verdict.
func writeCheckTable(w io.Writer, rep *check.Report) {
	order := make([]int, len(rep.Pairs))
	for i := range order {
		order[i] = i
	}
	rank := func(v check.Verdict) int {
		return slices.Index([]check.Verdict{check.Miscalibrated, check.Suspicious, check.OK, check.Skipped}, v)
	}
	slices.SortStableFunc(order, func(a, b int) int { return rank(rep.Pairs[a].Verdict) - rank(rep.Pairs[b].Verdict) })
	fmt.Fprintf(w, "log %s, calibration from %s, %.2f s on clock %s\n", rep.Log, orDefault(rep.Rig, "the log"),
		float64(rep.End-rep.Start)/1e9, rep.Clock)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tSENSOR\tREFERENCE\tKIND\tSCORE\tCORRECTION\t±1σ\tCHANGED\tNOTE")
	for _, i := range order {
		p := &rep.Pairs[i]
		score, corr, unc, changed := "-", "-", "-", "-"
		if p.Verdict != check.Skipped {
			score = fmt.Sprintf("%.4g %s", p.Score, p.ScoreName)
			if p.Kind == check.KindCameraTime {
				corr = fmt.Sprintf("%+.2f ms", float64(p.TimeOffsetNs)/1e6)
				unc = fmt.Sprintf("%.2f ms", float64(p.Uncertainty.TimeNs)/1e6)
			} else {
				corr = fmt.Sprintf("%.3f° %.3f m", p.CorrectionRotationDeg, p.CorrectionTranslationM)
				unc = fmt.Sprintf("%.3f° %.3f m", p.Uncertainty.RotationDeg, p.Uncertainty.TranslationM)
			}
		}
		if p.ChangedAt != nil {
			changed = fmt.Sprintf("%.2f s ± %.2f", float64(*p.ChangedAt-rep.Start)/1e9, float64(p.ChangeUncertaintyNs)/1e9)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Verdict, p.Sensor, p.Reference, p.Kind, score, corr, unc, changed,
			strings.ReplaceAll(p.Note, "\n", " "))
	}
	tw.Flush()
	fmt.Fprintln(w, checkSummary(rep))
	for _, p := range rep.Pairs {
		if p.Verdict == check.Skipped || p.Verdict == "" {
			fmt.Fprintf(w, "  skipped %s (%s vs %s): %s\n", p.Sensor, p.Kind, p.Reference,
				orDefault(strings.ReplaceAll(p.Note, "\n", " "), "no reason given"))
		}
	}
	for _, s := range rep.Warnings {
		fmt.Fprintln(w, "warning:", s)
	}
}

// checkSummary is the verdict line of the human output. It counts only the
// pairs that were scored: skipped pairs are listed apart (with their
// reasons, after the line), and a report with no scored pair says that
// nothing could be checked rather than a verdict.
func checkSummary(rep *check.Report) string {
	checked, skipped := check.CountChecked(rep.Pairs)
	v := check.Overall(rep.Pairs)
	if v == check.Unchecked {
		if len(rep.Pairs) == 0 {
			return "verdict: nothing could be checked (no sensor pair to check)"
		}
		return fmt.Sprintf("verdict: nothing could be checked (all %d pair(s) skipped: reasons below)", skipped)
	}
	var parts []string
	for _, vv := range []check.Verdict{check.Miscalibrated, check.Suspicious, check.OK} {
		n := 0
		for _, p := range rep.Pairs {
			if p.Verdict == vv {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, vv))
		}
	}
	s := fmt.Sprintf("verdict: %s (%d pair(s) checked: %s", v, checked, strings.Join(parts, ", "))
	if skipped > 0 {
		s += fmt.Sprintf("; %d skipped, not counted: reasons below", skipped)
	}
	return s + ")"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/checkapp"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
)

// calibCheckOptions are the flags of "calib check".
type calibCheckOptions struct {
	Rig       []string
	Map       []string
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
	// Start, End, Sensors, Exclude: --start/--end, --sensors/--exclude.
	Start, End       string
	Sensors, Exclude []string
	// Strict: --strict, exit 3 on any loss reading the logs.
	Strict bool
	// Workers: --workers, goroutines scoring the cameras (0: all cores).
	Workers int
}

func newCalibCheckCommand(g *globalOptions) *cobra.Command {
	var o calibCheckOptions
	c := &cobra.Command{
		Use:   "check LOG [LOG2...]",
		Short: "Check a rig's calibration on a recorded log: which sensor moved, by how much, since when",
		Long: `check tells from a log whether the calibration still holds. It fuses the log
once with the calibration under test (--rig, else the log's own /tf_static
and camera infos; never anything else) and scores every sensor pair it can:

  lidar-camera  edge alignment (Levinson & Thrun): image edges against LiDAR
                depth discontinuities, over frames spread through the log,
                with a search over perturbed extrinsics (rotation within
                about ±1°, about the optical axis too) for the best
                correction
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

--rig takes a rig.yaml or any calibration files "rigsync calib show" reads
(Kalibr, Autoware, ROS camera_info, ...; repeat --rig or separate with
commas), merged as in fuse: --map FILE_FRAME=SENSOR renames file frames
to the log's, chains are composed into the base frame, two files
disagreeing on an item is an error naming both; sensors of the files the
log lacks, and frames that cannot reach the base, are listed in
"warnings". --fix writes the merged rig, corrected.

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

A verdict says what it covers. Each checked pair lists its six degrees of
freedom (roll, pitch, yaw, x, y, z in the frame its "dof_frame" names:
optical for cameras; camera-time: the time) with an estimate, a 1-sigma
and a status: observed, weak, unobservable or "not searched". The status is
measured where the check has a measure (the curvature of the edge score
around its optimum, the ICP information matrix, the solver's covariance):
observed when an error at the pair's miscalibrated threshold would stand
3 sigma out, weak at 1 sigma. A pair is fully ok only if every degree of
freedom that matters was observed; otherwise it reads
"ok (partial: x, y, z not observed)" (a planar radar never observes z,
roll or pitch; hand-eye no translation), the summary says how many pairs
are partial and lists them, and the exit code is 3.

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
                     uncertainty, windows, changed_at_ns, search,
                     dof_frame, dofs (name, unit, estimate, sigma,
                     status, matters), not_observed, verdict_text
                     ("ok (partial: z not observed)"); and the report's
                     partial_pairs and warnings
  --report FILE      one self-contained HTML page to open offline: verdicts
                     first, per pair a table of its degrees of freedom beside the
                     overlays before/after the correction, plots of the
                     score over time and over the search, the JSON embedded
  --overlays DIR     the pictures as files: LiDAR points coloured by depth on
                     camera images before/after the correction (JPEG), score
                     over time and over the search (PNG)
  --fix -o FILE      a corrected rig.yaml: the --rig file (or, without --rig, a
                     rig drafted from the log as "calib rig init" would) with
                     the corrections of the miscalibrated pairs applied
                     (--fix-from suspicious also applies the suspicious ones;
                     a camera-time result adjusts the camera's clock offset).
                     Only the DOFs a pair observed are corrected; the others
                     (weak, unobservable, not searched) keep their values.
                     The text lists both per sensor, --json as "fixed".
                     The input rig is never modified. When no pair could be
                     checked no rig is written (a copy would look checked).

Exit codes (for field scripts):
  0  every checked pair is ok and observed every degree of freedom that
     matters (skipped pairs do not count)
  1  error (unreadable log or rig)
  2  usage error
  3  suspicious: some pair is suspicious, none miscalibrated; or partial:
     every checked pair ok, but some degree of freedom that matters was
     not observed (the pairs and DOFs are named); or no pair could be
     checked at all (every pair skipped)
  3  also with --strict: the log reader lost something (a truncated or
     damaged log; the check still ran on what could be read)
  4  miscalibrated: some pair is miscalibrated (wins over 3)
What the log readers could not read is listed in a "lost:" section naming
the file, byte offset and topic where known (--json: "problems", as in
info, sync and fuse).
--report and --overlays are written whatever the verdict, --fix whenever
some pair was checked.

` + selectionHelp + ` In calib check, --sensors selects the sensors
fused (and so the pairs checked); the IMU and ego-motion topics are read
unless --exclude names them.

` + logsHelp,
		Example: `  rigsync calib check drive.mcap
  rigsync calib check drive.mcap --rig rig.yaml --report check.html
  rigsync calib check drive.mcap --rig camchain.yaml,sensor_kit_calibration.yaml --map cam0=cam_front --map imu0=imu
  rigsync calib check drive.mcap --json | jq '.pairs[] | select(.verdict != "ok")'
  rigsync calib check drive.mcap --overlays check/ --window 5s --max-frames 60
  rigsync calib check drive.mcap --rig rig.yaml --fix -o rig.fixed.yaml
  rigsync calib check drive.mcap --kinds lidar-lidar,lidar-camera
  rigsync calib check drive.mcap --workers 1    # on one core (the report is the same)
  rigsync calib check drive.bag --start +5m --end +6m --sensors lidar_top,cam_front
  rigsync calib check drive.mcap -q || echo "recalibrate before the next drive (exit $?)"`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibCheck(cmd, g, o, args)
		},
	}
	f := c.Flags()
	f.StringArrayVar(&o.Rig, "rig", nil, "rig.yaml, or calibration files of any format rigsync reads (repeatable, or comma-separated, merged), with the calibration to check (default: the log's /tf_static and camera infos)")
	f.StringArrayVar(&o.Map, "map", nil, "FILE_FRAME=SENSOR: the log sensor (frame id) a frame of the --rig files is (repeatable, or comma-separated)")
	f.BoolVar(&o.ScaleIntr, "scale-intrinsics", false, "scale --rig intrinsics calibrated at another image size to the images (default: a size mismatch is an error)")
	f.StringVar(&o.Base, "base", "", "base frame (default: the rig's base_frame, else base_link)")
	f.StringVar(&o.Ego, "ego", "auto", "ego-motion source for deskewing and the motion checks: auto, odometry, gnss, tf or none (as in fuse)")
	f.StringVar(&o.Report, "report", "", "write a self-contained HTML report to FILE")
	f.StringVar(&o.Overlays, "overlays", "", "write overlay images and plots into DIR")
	f.DurationVar(&o.Window, "window", checkapp.DefaultWindow, "length of the time windows scored on their own (finds and dates a change)")
	f.IntVar(&o.MaxFrames, "max-frames", checkapp.DefaultMaxFrames, "frames scored per pair for the correction search, spread through the log")
	f.IntVar(&o.Workers, "workers", 0, "goroutines scoring the cameras beside the fusion (default: all cores; the report is the same for any number)")
	f.StringSliceVar(&o.Kinds, "kinds", nil, "only these pair kinds: "+strings.Join(checkKinds, ", ")+" (default all that apply)")
	f.BoolVar(&o.Fix, "fix", false, "write a corrected rig (needs -o)")
	f.BoolVar(&o.Strict, "strict", false, "exit with code 3 when the log readers lost anything (unless a pair is miscalibrated: 4)")
	f.StringVar(&o.FixFrom, "fix-from", string(check.Miscalibrated), "with --fix: apply corrections of pairs at least this bad: miscalibrated or suspicious")
	f.StringVarP(&o.Out, "output", "o", "", "with --fix: the corrected rig.yaml to write (never the --rig file)")
	addSelectionFlags(f, &o.Start, &o.End, &o.Sensors, &o.Exclude)
	return c
}

// checkKinds are the pair kinds --kinds accepts.
var checkKinds = checkapp.Kinds

// calibrationError means a pair is miscalibrated (exit 4).
type calibrationError struct{ err error }

func (e calibrationError) Error() string { return e.err.Error() }
func (e calibrationError) Unwrap() error { return e.err }

func runCalibCheck(cmd *cobra.Command, g *globalOptions, o calibCheckOptions, logs []string) error {
	opts := checkapp.Options{
		Logs: logs, RigPath: strings.Join(o.Rig, ","), BaseFrame: o.Base, Ego: o.Ego, Window: o.Window, MaxFrames: o.MaxFrames,
		Kinds: o.Kinds, ScaleIntrinsics: o.ScaleIntr, Workers: o.Workers,
		Range: logfile.Window{Start: o.Start, End: o.End}, Sensors: logfile.Selection{Sensors: o.Sensors, Exclude: o.Exclude},
	}
	outs := checkapp.Outputs{
		Report: o.Report, Overlays: o.Overlays, Fix: o.Fix, FixFrom: check.Verdict(o.FixFrom), Out: o.Out,
		Log: logs[0], BaseFrame: o.Base,
	}
	if err := checkapp.Validate(opts, outs); err != nil {
		return usageError{err}
	}
	ctx := cmd.Context()
	loaded, err := checkapp.LoadRigs(o.Rig, o.Map, o.Base)
	if rigfiles.IsUsage(err) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if loaded != nil {
		opts.Rig, outs.Rig, opts.RigFiles, opts.RigPath = loaded.Rig, loaded.Rig, loaded, loaded.Label()
	}
	bar := newProgress(g, "checking", -1)
	opts.Progress = func(done, total int64) {
		if total > 0 {
			bar.SetTotal(total)
		}
		bar.Set(done)
	}
	rep, probs, err := checkapp.RunWithLosses(ctx, opts)
	bar.Finish()
	if err != nil {
		return err
	}
	written, err := checkapp.WriteOutputs(ctx, rep, outs)
	if err != nil {
		return err
	}

	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		out := struct {
			*check.Report
			Problems []fusion.InputProblem `json:"problems"`
			Fixed    []checkapp.Fixed      `json:"fixed,omitempty"`
		}{rep, probs, written.Fixed}
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("calib check: JSON: %w", err)
		}
	} else {
		_ = checkapp.WriteText(g.stdout, rep) // as before the split: a failed stdout is not an error
		losses.WriteText(g.stdout, probs)
		for _, line := range written.Lines {
			fmt.Fprintln(g.stdout, line)
		}
	}
	err = checkExit(rep)
	// Exit 4 (miscalibrated) wins over --strict's 3 for losses.
	if serr := losses.Strict(o.Strict, probs); serr != nil && !isAny[calibrationError](err) {
		err = errors.Join(err, serr)
	}
	if written.FixSkipped {
		err = fmt.Errorf("%w (--fix: nothing written to %s)", err, o.Out)
	}
	return err
}

// checkExit maps checkapp.Gate's verdict to the exit code: miscalibrated
// 4, suspicious 3, partial (every checked pair ok, but a degree of freedom
// that matters not observed) 3, and 3 when no pair could be checked.
func checkExit(rep *check.Report) error {
	err := checkapp.Gate(rep)
	ge, ok := errors.AsType[*checkapp.GateError](err)
	switch {
	case !ok:
		return err
	case ge.Verdict == check.Miscalibrated:
		return calibrationError{ge}
	case ge.Verdict == check.Suspicious, ge.Verdict == check.Partial:
		return fmt.Errorf("%w: %w", ge, problemsError{len(ge.Pairs)})
	}
	// Nothing was verified: a gate must not read that as "ok".
	return fmt.Errorf("%w: %w", ge, problemsError{1})
}

package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion/labelcheck"
	"github.com/rigsync/rigsync/internal/app/checkapp"
	"github.com/rigsync/rigsync/internal/app/labelsapp"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
)

// labelsWrongError means labels check found wrong boxes (exit 4).
type labelsWrongError struct{ err error }

func (e labelsWrongError) Error() string { return e.err.Error() }
func (e labelsWrongError) Unwrap() error { return e.err }

// labelsOptions are the flags of "labels check" and "labels sync".
type labelsOptions struct {
	Labels, Format string
	Rig, Map       []string
	Ego            string
	Out            string
	Report         string
	Start, End     string
	Sensors        []string
	Exclude        []string
	Strict         bool
	NoCameras      bool
	CameraEvery    int
}

func newLabelsCommand(g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "labels",
		Short: "Check 3D box labels against a log's sensor data, and time-align them",
		Long: `labels works on the 3D box labels an annotation team returns for rigsync's
frames (rigsync labels JSON, or a nuScenes folder):

  check   does every box agree with the LiDAR, in space and in time? A verdict
          per box, frame, track and log with the reasons and the suggested
          correction (exit 3 suspicious, 4 wrong)
  sync    write time-aligned labels: each box at the frame's reference time,
          the time each box showed, and per camera a camera-synced box

The labels' frames are paired with the log's fused frames (one per sweep of
the reference LiDAR) by stamp; boxes are in base_link at the frame's stamp
(a nuScenes folder's global boxes are moved with each frame's ego pose).

Exit codes: 0 ok, 1 error, 2 usage error, 3 suspicious boxes, 4 wrong boxes.`,
		Example: `  rigsync labels check drive.mcap --labels drive.labels.json
  rigsync labels sync drive.mcap --labels drive.labels.json -o drive.synced.json`,
		Args: groupArgs,
	}
	c.AddCommand(newLabelsCheckCommand(g), newLabelsSyncCommand(g))
	return c
}

func addLabelsFlags(c *cobra.Command, o *labelsOptions) {
	f := c.Flags()
	f.StringVar(&o.Labels, "labels", "", "the labels: rigsync labels JSON file, a nuScenes folder, or a fuse --labels output folder in kitti, segments, cvat, xtreme1 or frames (required)")
	f.StringVar(&o.Format, "format", "auto", "labels format: "+strings.Join(labelsapp.Formats, ", ")+" (auto: a folder of fuse's kitti, cvat, segments, xtreme1 or frames output is that, another folder nuScenes, a file rigsync labels JSON)")
	f.StringArrayVar(&o.Rig, "rig", nil, "rig.yaml or calibration files (repeatable or comma-separated) overriding the log's /tf_static")
	f.StringArrayVar(&o.Map, "map", nil, "FILE_FRAME=SENSOR: the log sensor a frame of the --rig files is")
	f.StringVar(&o.Ego, "ego", "auto", "ego-motion source for deskewing: auto, odometry, gnss, tf or none (as in fuse)")
	addSelectionFlags(f, &o.Start, &o.End, &o.Sensors, &o.Exclude)
	f.BoolVar(&o.Strict, "strict", false, "exit 3 when the log readers lost data (a truncated or damaged log; listed under lost: and in --json problems)")
}

func labelsAppOptions(o labelsOptions, logs []string) (labelsapp.Options, error) {
	if o.Labels == "" {
		return labelsapp.Options{}, usageError{errors.New("--labels FILE is required (see --help)")}
	}
	opts := labelsapp.Options{Logs: logs, Labels: o.Labels, Format: o.Format, Ego: o.Ego,
		Range: logfile.Window{Start: o.Start, End: o.End}, Sensors: logfile.Selection{Sensors: o.Sensors, Exclude: o.Exclude}}
	loaded, err := checkapp.LoadRigs(o.Rig, o.Map, "")
	if rigfiles.IsUsage(err) {
		return opts, usageError{err}
	}
	if err != nil {
		return opts, err
	}
	if loaded != nil {
		opts.Rig, opts.RigPath = loaded.Rig, loaded.Label()
	}
	opts.Check.NoCameras, opts.Check.CameraEvery = o.NoCameras, o.CameraEvery
	return opts, nil
}

func newLabelsCheckCommand(g *globalOptions) *cobra.Command {
	var o labelsOptions
	c := &cobra.Command{
		Use:   "check LOG [LOG2...] --labels FILE",
		Short: "Check 3D box labels against the log's LiDAR and cameras: position, heading, size, time, tracks",
		Long: `check fuses the log once (the reference LiDAR's sweeps, deskewed, each point
with its capture time, and the camera images; radars are not read) and
checks every box of the labelled frames against the points of its object
and the images that show it:

  points    how many LiDAR points lie on the box (moved back to the box's
            time with its velocity: a spinning LiDAR sees a moving object
            at its own time within the sweep) and how dense they are for the
            range; a box with no point that LiDAR rays pass through is
            spurious (a box that is occluded or out of view is "unobserved",
            not an error)
  fit       the heading (the rectangle that fits the points best), the
            centre (from the faces the LiDAR sees), the size (a box grown or
            shrunk about its centre moves every seen face the same way)
  time      a moving box that shows its object earlier or later than the
            frame: the offset along the velocity v is v·Δt, so Δt is
            reported (kind "time"), per box and per track
  tracks    id switches (a box that jumps to where another track was), boxes
            missing from a track whose object is still seen, class and size
            changes along a track, class size priors (car, truck, pole, ...),
            unlabelled clusters of points (kind "missing")
  camera    each box moved to the time each camera captured it (along its
            velocity) and projected into the image with the camera's pose
            and model: its outline's left and right sides must lie on the
            image's edges (the luma step nearest each side, within a quarter
            of the box's width); a box whose sides are both off by more than
            0.15 m at its depth (2.5 px at least), or one side by 2.5 times
            that, is suspicious (kind "camera"). Boxes cut by the image
            border, smaller than 16×12 px, behind a nearer box or with too
            few LiDAR points are not checked; the cameras are checked on
            every 5th frame (--camera-every), --no-cameras skips the check.
            2D labels given with the boxes (the frames output's labels_2d)
            are compared with the camera-synced box's projection on every
            frame: IoU under 0.5 is a camera finding

Each box gets a verdict (ok, suspicious, wrong), its kinds, the reasons and
the suggested correction: shift (m, in the box's axes x forward, y left,
z up), yaw (deg), size (m: length, width, height), dt (ns: the time the box
shows minus the frame's), class. Frames, tracks and the log get the worst
verdict of their boxes; the summary counts the kinds per class and tells
systematic errors (consistent over a track or a class) from random ones.
--json gives every finding, every track and the summaries; --report DIR
writes DIR/index.html (one file, opens offline: the verdicts, the tables, a
top view of the worst boxes with their points, as labelled and as
corrected, and the camera view of the worst camera findings with the
projected box and the image's edges) and DIR/report.json.

Conventions: times are int64 ns on the reference LiDAR's clock; boxes are in
base_link at the frame's stamp, R = Rz(yaw)·Ry(pitch)·Rx(roll); the labels'
frames are paired with the fused frames by stamp (within half a sweep).
Labels in other frames are moved into base_link: nuScenes' global frame with
each frame's ego pose; rigsync's fuse --labels outputs are read with their
sidecars (the manifest's frame stamps): KITTI label_2 with calib/ (velodyne
frame = the reference LiDAR's, whose extrinsic the log gives; boxes levelled:
heading kept, no roll or pitch; label_2 has no ids, so boxes are associated
across frames), Segments.ai labels.json with sample.json's ego poses (world
→ base_link), CVAT, Xtreme1 and frames (frame.json "labels", with the
per-camera "labels_2d") already in base_link. Formats without
velocity (all but rigsync labels JSON) give each box its track's, from the
motion of its centre since the track's previous box.
Without an ego translation source (odometry, GNSS, /tf) the sweep is
deskewed by registration and the ego velocity the deskew missed is fitted
from the frame's boxes. check takes cameras as global shutter at their
mid-exposure stamp (a rig's rolling_shutter is used by "labels sync" only).

Exit codes: 0 every box ok, 1 error, 2 usage error, 3 suspicious boxes (none
wrong), 4 wrong boxes (or missing ones).

` + selectionHelp + `

` + logsHelp,
		Example: `  rigsync fixtures generate --duration 3s -o drive.mcap --labels --label-fault shift=0.5
  rigsync labels check drive.mcap --labels drive.labels.json
  rigsync labels check drive.mcap --labels drive.labels.json --json | jq '.findings[] | select(.verdict == "wrong")'
  rigsync labels check drive.mcap --labels nuscenes/ --format nuscenes
  rigsync fuse drive.mcap --format kitti --labels drive.labels.json -o kitti/ && rigsync labels check drive.mcap --labels kitti/
  rigsync labels check drive.mcap --labels drive.labels.json --report labels-report/   # open labels-report/index.html
  rigsync labels check drive.mcap --labels drive.labels.json -q || echo "labels need review (exit $?)"`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := labelsAppOptions(o, args)
			if err != nil {
				return err
			}
			bar := newUnitProgress(g, "checking", "frames", -1)
			opts.Progress = func(done, total int64) {
				if total > 0 {
					bar.SetTotal(total)
				}
				bar.Set(done)
			}
			res, err := labelsapp.Run(cmd.Context(), opts)
			bar.Finish()
			if err != nil {
				return err
			}
			if o.Report != "" {
				if err := labelsapp.WriteReport(o.Report, res, append([]string{o.Labels}, args...)); err != nil {
					return err
				}
			}
			if g.JSON {
				if err := writeJSON(g.stdout, res); err != nil {
					return fmt.Errorf("labels check: JSON: %w", err)
				}
			} else {
				_ = labelsapp.WriteText(g.stdout, res)
				if o.Report != "" {
					fmt.Fprintf(g.stdout, "report: %s\n", filepath.Join(o.Report, "index.html"))
				}
			}
			if err := labelsExit(res); err != nil {
				return err // wrong (4) or suspicious (3) boxes
			}
			return losses.Strict(o.Strict, res.Problems)
		},
	}
	addLabelsFlags(c, &o)
	c.Flags().StringVar(&o.Report, "report", "", "write the report folder DIR: index.html (self-contained: the verdicts, a top view of the worst boxes with their points, camera views of the camera findings) and report.json")
	c.Flags().BoolVar(&o.NoCameras, "no-cameras", false, "skip the camera check (the images are not decoded: faster)")
	c.Flags().IntVar(&o.CameraEvery, "camera-every", 5, "check the boxes in the cameras on every N-th frame (1: every frame; each decoded image costs about as much as checking its frame's LiDAR)")
	return c
}

// labelsExit maps the verdict to the exit code: wrong 4, suspicious 3.
func labelsExit(res *labelsapp.Result) error {
	err := labelsapp.Gate(res)
	ge, ok := errors.AsType[*labelsapp.GateError](err)
	switch {
	case !ok:
		return err
	case ge.Verdict == labelcheck.Wrong:
		return labelsWrongError{ge}
	}
	return fmt.Errorf("%w: %w", ge, problemsError{ge.Boxes})
}

func newLabelsSyncCommand(g *globalOptions) *cobra.Command {
	var o labelsOptions
	c := &cobra.Command{
		Use:   "sync LOG [LOG2...] --labels FILE -o OUT",
		Short: "Write time-aligned labels: each box at the frame's time, camera-synced boxes per camera",
		Long: `sync writes the labels again, aligned in time with the sensor data, as rigsync
labels JSON (OUT is written whole or not at all, never over an input):

  frame time    each box moved to where its object was at the frame's
                reference time. A spinning LiDAR sees each object at its own
                time within the sweep, and a box drawn around those points
                shows the object then: the time the box shows is estimated
                from its points' capture times and its velocity (its offset
                along the velocity v is v·Δt) and the box moved by −v·Δt.
                time_ns is the frame's stamp; the attributes
                rigsync.shown_time_ns (when the input box showed the object),
                rigsync.points_time_ns (the mean capture time of its LiDAR
                points) and rigsync.points (how many) are written on every
                box
  camera boxes  per camera whose image shows the box's centre, a
                camera-synced box ("cameras": camera, time_ns, center, yaw):
                where the object was when that camera captured it, in
                base_link at the frame's time, so that projecting it with the
                frame's camera pose lines up with the image. A camera is
                global shutter at its mid-exposure stamp unless --rig gives
                it a rolling_shutter {readout_ns, direction}: then the box is
                where the object was when the row y of its projected centre
                was read, t = stamp + y/H·readout (the stamp is the first
                row's mid-exposure; the ego motion along the readout is
                folded in); "shutter" says the model per camera. Per
                camera, the report says how far (px) the frame-time boxes' centres
                project from the camera-synced ones: the error a frame-time
                box carries into that image (box centres only: no image
                content and no 2D labels are compared)

Boxes need a velocity (the labels' own: rigsync labels JSON, nuScenes
velocities) to be moved; a box slower than 1 m/s stays where it is. The time
a box shows is its track's: the weighted median of its boxes' times within
±0.5 s, unless the box's own time clearly differs.

` + selectionHelp + `

` + logsHelp,
		Example: `  rigsync labels sync drive.mcap --labels drive.labels.json -o drive.synced.json
  rigsync labels sync drive.mcap --labels drive.labels.json -o synced.json --json
  # cameras with a rolling shutter (rig.yaml: rolling_shutter: {readout_ns: 30000000})
  rigsync labels sync drive.mcap --labels drive.labels.json --rig rig.yaml -o synced.json`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := labelsAppOptions(o, args)
			if err != nil {
				return err
			}
			if o.Out == "" {
				return usageError{errors.New("-o OUT is required (see --help)")}
			}
			bar := newUnitProgress(g, "syncing", "frames", -1)
			opts.Progress = func(done, total int64) {
				if total > 0 {
					bar.SetTotal(total)
				}
				bar.Set(done)
			}
			res, err := labelsapp.Sync(cmd.Context(), opts, o.Out)
			bar.Finish()
			if err != nil {
				return err
			}
			if g.JSON {
				if err := writeJSON(g.stdout, res); err != nil {
					return err
				}
				return losses.Strict(o.Strict, res.Problems)
			}
			if _, err = fmt.Fprintf(g.stdout, "wrote %s: %d boxes in %d frames, %d moved to the frame's time, %d camera-synced boxes (%s shutter)\n",
				res.Out, res.Boxes, res.Frames, res.Moved, res.CameraBoxes, strings.SplitN(res.Shutter, " ", 2)[0]); err != nil {
				return err
			}
			for _, c := range res.Cameras {
				if _, err = fmt.Fprintf(g.stdout, "  %s: %d boxes, %d drawn > 5 px from their object at the frame's time (median %.1f px, worst %.1f px)\n",
					c.Camera, c.Boxes, c.Over5Px, c.MedianPx, c.WorstPx); err != nil {
					return err
				}
			}
			losses.WriteText(g.stdout, res.Problems)
			return losses.Strict(o.Strict, res.Problems)
		},
	}
	addLabelsFlags(c, &o)
	c.Flags().StringVarP(&o.Out, "output", "o", "", "the time-aligned labels to write (rigsync labels JSON)")
	return c
}

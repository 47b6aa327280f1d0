package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/internal/app/calibapp"
	"github.com/rigsync/rigsync/internal/app/losses"
)

func newCalibCommand(g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "calib",
		Short: "Read, convert and check calibrations; project points; solve extrinsics",
		Long: `calib works with the calibration a team already has, in the file formats of
the common tools, and with rigsync's own rig.yaml.

Conventions: a transform T_a_b maps points of frame b into frame a
(p_a = R·p_b + t); quaternions are printed with their order (w,x,y,z unless
a field says xyzw); roll-pitch-yaw is URDF's R = Rz(yaw)·Ry(pitch)·Rx(roll).
Camera frames are optical frames (z forward, x right, y down); pixel (0,0)
is the centre of the top-left pixel.

Formats (read auto-detected, write with --to): ` + calibapp.FormatList() + `.

Subcommands:
  show      print what a calibration file or a log's /tf_static + CameraInfo hold
  convert   rewrite a calibration in another format
  project   where 3-D points appear in a camera (u, v, depth, valid per point)
  solve     estimate an extrinsic: kabsch, pnp, handeye or icp
  rig       rig.yaml: init from a log, print the commented example
  check     does a log agree with the calibration? verdict per sensor pair,
            corrections, an offline HTML report, --fix (exit 3 suspicious,
            4 miscalibrated)

Exit codes: 0 ok, 1 error (unreadable or inconsistent input), 2 usage error.`,
		Example: `  rigsync calib show camchain.yaml
  rigsync calib convert camchain.yaml --to ros_camerainfo_msg --camera cam0 -o cam0.yaml
  rigsync calib project --calib camera_info.yaml targets.csv
  rigsync calib solve --method icp rear.pcd top.pcd --json
  rigsync calib rig init drive.mcap > rig.yaml`,
	}
	c.AddCommand(newCalibShowCommand(g), newCalibConvertCommand(g), newCalibProjectCommand(g),
		newCalibSolveCommand(g), newCalibRigCommand(g))
	c.AddCommand(newCalibCheckCommand(g))
	return c
}

// ---- show ----

func newCalibShowCommand(g *globalOptions) *cobra.Command {
	var strict bool
	c := &cobra.Command{
		Use:   "show FILE|LOG",
		Short: "Print the cameras and transforms of a calibration file or log",
		Long: `show reads a calibration file (format detected from its content) or a log
(MCAP, ROS 1 bag or rosbag2; its /tf_static transforms and the first CameraInfo / CameraCalibration
of each channel) and prints every camera (model, size, fx fy cx cy,
distortion in the model's order) and every transform T_parent_child
(translation in metres, quaternion w,x,y,z, roll-pitch-yaw in degrees).

Conventions were converted on reading: Kalibr's T_cam_imu is shown as
imu0 → camN (its inverse), KITTI's Tr_velo_to_cam as image_0 → velodyne,
nuScenes records as ego → token, OpenCalib "A-to-B" as B → A.

--json prints {file, format, cameras[], transforms[] (each with T, the 4×4
row-major matrix mapping child points into the parent), scalars}.

A log's reader losses (a cut file, a damaged chunk, in the part of the log
read) are printed in a "lost:" section after the tables; --json has them
as "problems" (objects with severity, kind, file, offset, topic, message;
[] for a sound log, absent for a calibration file). A camera info or
transform in the lost part is missing from the output.

Exit codes: 0 ok, 1 unreadable or unrecognised file, 2 usage error,
3 --strict and the log reader lost something (the output is still printed).`,
		Example: `  rigsync calib show kalibr_camchain.yaml
  rigsync calib show drive.mcap --json | jq '.transforms[] | {parent, child}'
  rigsync calib show drive.mcap --strict`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibShow(cmd, g, args[0], strict)
		},
	}
	c.Flags().BoolVar(&strict, "strict", false, "exit with code 3 when the log reader lost anything (a truncated or damaged log; the output is still printed)")
	return c
}

func runCalibShow(cmd *cobra.Command, g *globalOptions, path string, strict bool) error {
	res, err := calibapp.Show(cmd.Context(), path)
	if err != nil {
		return calibError(err)
	}
	if g.JSON {
		if err := writeCalibJSON(g.stdout, res); err != nil {
			return err
		}
		return losses.Strict(strict, res.Problems)
	}
	_ = res.WriteText(g.stdout) // as before the split: a failed stdout is not an error
	return losses.Strict(strict, res.Problems)
}

// ---- convert ----

func newCalibConvertCommand(g *globalOptions) *cobra.Command {
	var o calibapp.ConvertOptions
	c := &cobra.Command{
		Use:   "convert IN [IN ...] --to FORMAT [-o OUT]",
		Short: "Rewrite calibration files in another format, or merge them into rig.yaml",
		Long: `convert reads IN (format detected) and writes it in --to FORMAT, to -o OUT or
stdout.

--to rig merges one or more files (rig.yaml, Kalibr, Autoware, ROS
camera_info, ...) into rigsync's rig.yaml, as fuse --rig would: transforms
given relative to another frame (Kalibr T_cn_cnm1, T_cam_imu; Autoware
parent/child) are composed into the base frame (--base; default a
rig.yaml's, else base_link, else the single root of the transforms);
--map FILE_FRAME=SENSOR renames frames (Kalibr cam0 → cam_front); an
Autoware camera_link gets its optical frame <prefix>camera_optical_link;
two files disagreeing on an item is an error naming both. A rig.yaml (or
several files) converted to another format is that rig's cameras and
base → sensor transforms; for kalibr the base is written as imu0 (read it
back with --map imu0=base_link). Conventions are converted, not copied: a Kalibr T_cam_imu written as
Autoware becomes imu0 → cam0 with roll-pitch-yaw; a nuScenes w,x,y,z
quaternion written for Apollo becomes x,y,z,w.

A format that cannot hold everything IN has (e.g. a camera_info YAML holds
one camera and no transforms) is an error rather than a silent loss; pick
one camera with --camera NAME (its intrinsics only).

Formats: ` + calibapp.FormatList() + `.

Exit codes: 0 ok, 1 unreadable input or the target format cannot hold it,
2 usage error (unknown format).`,
		Example: `  rigsync calib convert camchain.yaml --to ros_camera_info --camera cam0 -o cam0.yaml
  rigsync calib convert sensor_kit_calibration.yaml --to opencalib
  rigsync calib convert camchain.yaml sensor_kit_calibration.yaml cam_back.yaml --to rig \
    --map cam0=cam_front --map imu0=imu -o rig.yaml
  rigsync calib convert rig.yaml --to kalibr -o camchain.yaml   # a rig of cameras only`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return calibError(calibapp.Convert(g.stdout, args, o))
		},
	}
	c.Flags().StringArrayVar(&o.Map, "map", nil, "FILE_FRAME=SENSOR: rename a frame of the inputs when merging (repeatable, or comma-separated)")
	c.Flags().StringVar(&o.Base, "base", "", "base frame of a merged rig (default: a rig.yaml's base_frame, else base_link, else the root of the transforms)")
	c.Flags().StringVar(&o.To, "to", "", "output format (required): "+calibapp.FormatList())
	c.Flags().StringVarP(&o.Out, "output", "o", "", "output file (default stdout)")
	c.Flags().StringVar(&o.Camera, "camera", "", "write only this camera's intrinsics")
	return c
}

// ---- project ----

func newCalibProjectCommand(g *globalOptions) *cobra.Command {
	var o calibapp.CameraOptions
	c := &cobra.Command{
		Use:   "project (--rig rig.yaml --camera NAME [--frame F] | --calib CAMERA_FILE) POINTS.csv",
		Short: "Compute where 3-D points appear in a camera image",
		Long: `project reads x,y,z per line from POINTS.csv (metres; blank lines, '#'
comments and a header line are skipped) and prints u,v,depth,valid per input
point, in input order (no header line): the pixel (u right, v down, (0,0) the centre of the
top-left pixel), the depth along the optical axis (z in the camera's
optical frame) and valid = 1 when the point is in front of the camera,
inside the model's field of view and inside the image.

Points are in the camera's optical frame, unless --frame names another
frame of the rig (a sensor's frame or name, or the base frame): then they
are moved into the camera through the rig's extrinsics. --calib takes any
single-camera calibration file instead of a rig (e.g. a ROS camera_info
YAML); with several cameras in it, name one with --camera.

Pixels of invalid points are still printed when defined (nan otherwise).
--json prints {"points": [{"u", "v", "depth", "valid"}, ...]} in input
order (null where the CSV says nan).

Exit codes: 0 ok (also when points are invalid), 1 unreadable input,
2 usage error.`,
		Example: `  rigsync calib project --calib camera_info.yaml targets.csv
  rigsync calib project --rig rig.yaml --camera front_camera --frame base_link surveyed.csv`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibProject(g, o, args[0])
		},
	}
	c.Flags().StringVar(&o.Rig, "rig", "", "rig.yaml")
	c.Flags().StringVar(&o.Camera, "camera", "", "camera name in the rig (or in --calib)")
	c.Flags().StringVar(&o.Frame, "frame", "", "frame of the input points (default: the camera's optical frame)")
	c.Flags().StringVar(&o.Calib, "calib", "", "a calibration file with the camera")
	return c
}

func runCalibProject(g *globalOptions, o calibapp.CameraOptions, points string) error {
	res, err := calibapp.Project(o, points)
	if err != nil {
		return calibError(err)
	}
	// Buffered, and a failed stdout is not an error, as before the split.
	w := bufio.NewWriter(g.stdout)
	defer w.Flush()
	if g.JSON {
		return writeCalibJSON(w, res)
	}
	_ = res.WriteCSV(w)
	return nil
}

// ---- solve ----

func newCalibSolveCommand(g *globalOptions) *cobra.Command {
	var o calibapp.SolveOptions
	c := &cobra.Command{
		Use:   "solve --method kabsch|pnp|handeye|icp INPUTS...",
		Short: "Estimate an extrinsic from correspondences, motions or point clouds",
		Long: `solve estimates the transform T that maps source coordinates into the
target frame (T = T_target_source), with residuals and an uncertainty
(1-σ per axis from the Gauss–Newton covariance at the solution).

  --method kabsch SOURCE.csv TARGET.csv
      x,y,z per line, row i of each file the same physical point (e.g. radar
      reflectors and their LiDAR centres). --ransac D rejects pairs farther
      than D metres from the consensus.
  --method pnp (--calib CAMERA_FILE | --rig rig.yaml --camera NAME) POINTS.csv
      X,Y,Z,u,v per line: target points in the world (board) frame and the
      pixels where they are seen. T is T_camera_world. --ransac PX rejects
      points reprojecting farther than PX pixels from the consensus.
  --method handeye POSES1.csv POSES2.csv
      two time-aligned pose tracks, x,y,z,qx,qy,qz,qw per line (quaternion
      x,y,z,w), each sensor's pose in its own fixed world frame. T is
      T_sensor1_sensor2. Needs rotations about at least two axes.
  --method icp SOURCE.pcd TARGET.pcd
      point-to-plane ICP of two overlapping clouds (PCD ascii or binary) from
      --init (16 comma-separated values, row-major; default identity), with
      correspondences up to --max-dist metres. T is T_target_source.

--json prints {method, T (4×4 row-major), translation, rotation_xyzw,
rpy_deg, rms, residuals, fitness, inliers, iterations, uncertainty}.
Residuals are metres (kabsch, icp: point-to-plane), pixels (pnp) or the
norm of each motion pair's 6-D error (handeye).

Exit codes: 0 ok, 1 unreadable or degenerate input (collinear points,
parallel rotation axes, no overlap), 2 usage error.`,
		Example: `  rigsync calib solve --method kabsch radar.csv lidar.csv --ransac 0.2
  rigsync calib solve --method pnp --calib camera_info.yaml board.csv --json
  rigsync calib solve --method icp rear.pcd top.pcd --max-dist 1 --json`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibSolve(g, o, args)
		},
	}
	c.Flags().StringVar(&o.Method, "method", "", "kabsch, pnp, handeye or icp (required)")
	c.Flags().StringVar(&o.Camera.Calib, "calib", "", "pnp: camera calibration file")
	c.Flags().StringVar(&o.Camera.Rig, "rig", "", "pnp: rig.yaml (with --camera)")
	c.Flags().StringVar(&o.Camera.Camera, "camera", "", "pnp: camera name")
	c.Flags().Float64Var(&o.RANSAC, "ransac", 0, "RANSAC inlier threshold: metres for kabsch, pixels for pnp (0 = no RANSAC)")
	c.Flags().Float64Var(&o.MaxDist, "max-dist", 1, "icp: largest correspondence distance (m)")
	c.Flags().StringVar(&o.Init, "init", "", "icp: initial T_target_source, 16 comma-separated values row-major")
	return c
}

func runCalibSolve(g *globalOptions, o calibapp.SolveOptions, inputs []string) error {
	res, err := calibapp.Solve(o, inputs)
	if err != nil {
		return calibError(err)
	}
	if g.JSON {
		return writeCalibJSON(g.stdout, res)
	}
	_ = res.WriteText(g.stdout) // as before the split: a failed stdout is not an error
	return nil
}

// writeCalibJSON writes v as indented JSON, the --json form of the calib
// commands.
func writeCalibJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// calibError maps calibapp's usage errors to the exit code 2.
func calibError(err error) error {
	if ue, ok := errors.AsType[calibapp.UsageError](err); ok {
		return usageError{ue}
	}
	return err
}

// ---- rig ----

type calibRigOptions struct {
	Base   string
	Strict bool
}

func newCalibRigCommand(g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "rig",
		Short: "rig.yaml: draft one from a log, or print the commented example",
		Long: `rig.yaml is rigsync's project file: per sensor its name, topic, modality,
frame, camera intrinsics, extrinsic T_base_sensor (translation in metres,
quaternion x,y,z,w) and clock model. "calib rig example" prints it with
every field explained.`,
	}
	var o calibRigOptions
	initCmd := &cobra.Command{
		Use:   "init LOG",
		Short: "Draft rig.yaml from the log's /tf_static and camera infos",
		Long: `init reads the log's channels, /tf_static transforms and CameraInfo /
CameraCalibration messages and writes rig.yaml to stdout: one sensor per
data channel (camera, lidar, radar, imu, gnss, odometry) named by its frame
id, with the extrinsic T_<base>_<frame> when /tf_static connects the frame
to --base, and the intrinsics of the camera info in the same frame. What it
could not find is listed in each sensor's "missing" (intrinsics, extrinsic,
frame; clock always, as a log cannot tell a clock's offset).

A damaged log's reader losses (a cut file, a damaged chunk, in the part of
the log read) are printed on stderr as a "lost:" section (stdout stays the
YAML): a sensor or transform in the lost part is missing from the draft.

Exit codes: 0 ok, 1 unreadable log, 2 usage error, 3 --strict and the log
reader lost something (the draft is still written).

` + logsHelp,
		Example: `  rigsync calib rig init drive.mcap > rig.yaml
  rigsync calib rig init drive.bag > rig.yaml
  rigsync calib rig init drive.mcap --base base_footprint`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			probs, err := calibapp.RigInit(cmd.Context(), g.stdout, args[0], o.Base)
			if err != nil {
				return err
			}
			losses.WriteText(g.stderr, probs)
			return losses.Strict(o.Strict, probs)
		},
	}
	initCmd.Flags().StringVar(&o.Base, "base", "base_link", "base frame of the extrinsics")
	initCmd.Flags().BoolVar(&o.Strict, "strict", false, "exit with code 3 when the log reader lost anything (a truncated or damaged log; the draft is still written)")
	exampleCmd := &cobra.Command{
		Use:   "example",
		Short: "Print a commented rig.yaml",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := io.WriteString(g.stdout, rig.Example)
			return err
		},
	}
	c.AddCommand(initCmd, exampleCmd)
	return c
}

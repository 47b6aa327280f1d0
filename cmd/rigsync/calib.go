package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/solve"
	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/internal/atomicfile"
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

Formats (read auto-detected, write with --to): ` + formatList() + `.

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

func formatList() string {
	s := make([]string, len(calibio.Formats))
	for i, f := range calibio.Formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// ---- show ----

type calibJSONCamera struct {
	Name       string    `json:"name"`
	Frame      string    `json:"frame,omitempty"`
	Topic      string    `json:"topic,omitempty"`
	Model      string    `json:"model"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	Fx         float64   `json:"fx"`
	Fy         float64   `json:"fy"`
	Cx         float64   `json:"cx"`
	Cy         float64   `json:"cy"`
	Distortion []float64 `json:"distortion"`
}

type calibJSONTransform struct {
	Parent       string        `json:"parent"`
	Child        string        `json:"child"`
	Translation  [3]float64    `json:"translation"`
	RotationWXYZ [4]float64    `json:"rotation_wxyz"`
	RPYDeg       [3]float64    `json:"rpy_deg"`
	T            [4][4]float64 `json:"T"`
}

type calibJSONShow struct {
	File       string               `json:"file"`
	Format     string               `json:"format"`
	Cameras    []calibJSONCamera    `json:"cameras"`
	Transforms []calibJSONTransform `json:"transforms"`
	Scalars    map[string]float64   `json:"scalars,omitempty"`
}

func calibTransformJSON(parent, child string, T se3.Transform) calibJSONTransform {
	r, p, y := T.RPY()
	return calibJSONTransform{Parent: parent, Child: child, Translation: [3]float64{T.Trans.X, T.Trans.Y, T.Trans.Z},
		RotationWXYZ: T.QuatWXYZ(), RPYDeg: [3]float64{r * 180 / math.Pi, p * 180 / math.Pi, y * 180 / math.Pi}, T: T.Matrix4()}
}

func calibCameraJSON(c calibio.Camera) calibJSONCamera {
	in := c.Intrinsics
	d := c.Params
	if d == nil {
		d = []float64{}
	}
	return calibJSONCamera{Name: c.Name, Frame: c.Frame, Topic: c.Topic, Model: c.Model, Width: in.Width, Height: in.Height,
		Fx: in.Fx, Fy: in.Fy, Cx: in.Cx, Cy: in.Cy, Distortion: d}
}

func isMCAP(path string) bool {
	if strings.EqualFold(filepath.Ext(path), ".mcap") {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [8]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[1:5]) == "MCAP"
}

func newCalibShowCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show FILE|LOG.mcap",
		Short: "Print the cameras and transforms of a calibration file or log",
		Long: `show reads a calibration file (format detected from its content) or an MCAP
log (its /tf_static transforms and the first CameraInfo / CameraCalibration
of each channel) and prints every camera (model, size, fx fy cx cy,
distortion in the model's order) and every transform T_parent_child
(translation in metres, quaternion w,x,y,z, roll-pitch-yaw in degrees).

Conventions were converted on reading: Kalibr's T_cam_imu is shown as
imu0 → camN (its inverse), KITTI's Tr_velo_to_cam as image_0 → velodyne,
nuScenes records as ego → token, OpenCalib "A-to-B" as B → A.

--json prints {file, format, cameras[], transforms[] (each with T, the 4×4
row-major matrix mapping child points into the parent), scalars}.

Exit codes: 0 ok, 1 unreadable or unrecognised file, 2 usage error.`,
		Example: `  rigsync calib show kalibr_camchain.yaml
  rigsync calib show drive.mcap --json | jq '.transforms[] | {parent, child}'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibShow(cmd, g, args[0])
		},
	}
}

func runCalibShow(cmd *cobra.Command, g *globalOptions, path string) error {
	out := calibJSONShow{File: path, Cameras: []calibJSONCamera{}, Transforms: []calibJSONTransform{}}
	if fe := mcapread.DetectFormat(path); fe != nil {
		return fe // a ROS bag is a log, but not one rigsync reads yet
	}
	if isMCAP(path) {
		lc, err := logcalib.ReadFile(cmd.Context(), path)
		if err != nil {
			return err
		}
		out.Format = "mcap"
		for _, c := range lc.Cameras {
			out.Cameras = append(out.Cameras, calibCameraJSON(c))
		}
		for _, e := range lc.Static {
			out.Transforms = append(out.Transforms, calibTransformJSON(e.Parent, e.Child, e.T))
		}
	} else {
		c, err := calibio.ReadFile(path)
		if err != nil {
			return err
		}
		out.Format = string(c.Format)
		out.Scalars = c.Scalars
		for _, cam := range c.Cameras {
			out.Cameras = append(out.Cameras, calibCameraJSON(cam))
		}
		for _, e := range c.Extrinsics {
			out.Transforms = append(out.Transforms, calibTransformJSON(e.Parent, e.Child, e.T))
		}
	}
	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	w := g.stdout
	fmt.Fprintf(w, "file:    %s\nformat:  %s\n", out.File, out.Format)
	if len(out.Cameras) > 0 {
		fmt.Fprintln(w, "\nCameras:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range out.Cameras {
			fmt.Fprintf(tw, "  %s\t%s\t%dx%d\tfx=%.4f fy=%.4f cx=%.4f cy=%.4f\tD=%v\n", c.Name, c.Model, c.Width, c.Height, c.Fx, c.Fy, c.Cx, c.Cy, c.Distortion)
		}
		tw.Flush()
	}
	if len(out.Transforms) > 0 {
		fmt.Fprintln(w, "\nTransforms (T_parent_child; quaternion w,x,y,z; rpy degrees):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, e := range out.Transforms {
			fmt.Fprintf(tw, "  %s → %s\tt=[%.6f %.6f %.6f]\tq=[%.6f %.6f %.6f %.6f]\trpy=[%.4f %.4f %.4f]\n", e.Parent, e.Child,
				e.Translation[0], e.Translation[1], e.Translation[2], e.RotationWXYZ[0], e.RotationWXYZ[1], e.RotationWXYZ[2], e.RotationWXYZ[3],
				e.RPYDeg[0], e.RPYDeg[1], e.RPYDeg[2])
		}
		tw.Flush()
	}
	for _, k := range sortedStringKeys(out.Scalars) {
		fmt.Fprintf(w, "%s: %g\n", k, out.Scalars[k])
	}
	return nil
}

func sortedStringKeys(m map[string]float64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

// ---- convert ----

type calibConvertOptions struct {
	To     string
	Out    string
	Camera string
}

func newCalibConvertCommand(g *globalOptions) *cobra.Command {
	var o calibConvertOptions
	c := &cobra.Command{
		Use:   "convert IN --to FORMAT [-o OUT]",
		Short: "Rewrite a calibration file in another format",
		Long: `convert reads IN (format detected) and writes it in --to FORMAT, to -o OUT or
stdout. Conventions are converted, not copied: a Kalibr T_cam_imu written as
Autoware becomes imu0 → cam0 with roll-pitch-yaw; a nuScenes w,x,y,z
quaternion written for Apollo becomes x,y,z,w.

A format that cannot hold everything IN has (e.g. a camera_info YAML holds
one camera and no transforms) is an error rather than a silent loss; pick
one camera with --camera NAME (its intrinsics only).

Formats: ` + formatList() + `.

Exit codes: 0 ok, 1 unreadable input or the target format cannot hold it,
2 usage error (unknown format).`,
		Example: `  rigsync calib convert camchain.yaml --to ros_camera_info --camera cam0 -o cam0.yaml
  rigsync calib convert sensor_kit_calibration.yaml --to opencalib`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibConvert(g, o, args[0])
		},
	}
	c.Flags().StringVar(&o.To, "to", "", "output format (required): "+formatList())
	c.Flags().StringVarP(&o.Out, "output", "o", "", "output file (default stdout)")
	c.Flags().StringVar(&o.Camera, "camera", "", "write only this camera's intrinsics")
	return c
}

func runCalibConvert(g *globalOptions, o calibConvertOptions, in string) error {
	f := calibio.Format(o.To)
	known := false
	for _, k := range calibio.Formats {
		known = known || k == f
	}
	if !known {
		return usageError{fmt.Errorf("calib convert: --to %q: want one of %s", o.To, formatList())}
	}
	c, err := calibio.ReadFile(in)
	if err != nil {
		return err
	}
	if o.Camera != "" {
		cam, err := c.Camera(o.Camera)
		if err != nil {
			return err
		}
		c = &calibio.Calibration{Format: c.Format, Cameras: []calibio.Camera{cam}}
	}
	if o.Out == "" {
		return calibio.Write(g.stdout, c, f)
	}
	// A refused conversion leaves an existing OUT as it was.
	return atomicfile.Write(o.Out, func(w io.Writer) error { return calibio.Write(w, c, f) })
}

// ---- project ----

type calibProjectOptions struct {
	Rig    string
	Camera string
	Frame  string
	Calib  string
}

func newCalibProjectCommand(g *globalOptions) *cobra.Command {
	var o calibProjectOptions
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

// calibCamera resolves the camera model and the transform from the input
// frame into the camera.
func calibCamera(o calibProjectOptions) (camera.Model, se3.Transform, error) {
	switch {
	case o.Rig != "" && o.Calib != "":
		return nil, se3.Transform{}, usageError{errors.New("give --rig or --calib, not both")}
	case o.Calib != "":
		if o.Frame != "" {
			return nil, se3.Transform{}, usageError{errors.New("--frame needs --rig")}
		}
		c, err := calibio.ReadFile(o.Calib)
		if err != nil {
			return nil, se3.Transform{}, err
		}
		cam, err := c.Camera(o.Camera)
		if err != nil {
			return nil, se3.Transform{}, err
		}
		m, err := cam.Build()
		return m, se3.Identity(), err
	case o.Rig != "":
		if o.Camera == "" {
			return nil, se3.Transform{}, usageError{errors.New("--rig needs --camera NAME")}
		}
		f, err := os.Open(o.Rig)
		if err != nil {
			return nil, se3.Transform{}, err
		}
		defer f.Close()
		rg, err := rig.Load(f)
		if err != nil {
			return nil, se3.Transform{}, err
		}
		s, err := rg.Sensor(o.Camera)
		if err != nil {
			return nil, se3.Transform{}, err
		}
		m, err := s.Camera()
		if err != nil {
			return nil, se3.Transform{}, err
		}
		T := se3.Identity()
		if o.Frame != "" {
			camFrame := s.Frame
			if camFrame == "" {
				camFrame = s.Name
			}
			src := o.Frame
			if fs, err := rg.Sensor(o.Frame); err == nil && fs.Frame != "" {
				src = fs.Frame
			}
			tr, err := rg.Tree()
			if err != nil {
				return nil, se3.Transform{}, err
			}
			if T, err = tr.Lookup(camFrame, src, 0); err != nil {
				return nil, se3.Transform{}, err
			}
		}
		return m, T, nil
	}
	return nil, se3.Transform{}, usageError{errors.New("give --rig rig.yaml --camera NAME or --calib FILE")}
}

// calibReadRows reads comma/space separated numeric rows with exactly n
// columns; '#' comments, blank lines and one leading header are skipped.
func calibReadRows(path string, n int) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows [][]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' })
		row := make([]float64, 0, n)
		for _, x := range fields {
			v, err := strconv.ParseFloat(x, 64)
			if err != nil {
				if len(rows) == 0 && line == 1 {
					row = nil
					break // header
				}
				return nil, fmt.Errorf("%s:%d: %q is not a number", path, line, x)
			}
			row = append(row, v)
		}
		if row == nil {
			continue
		}
		if len(row) != n {
			return nil, fmt.Errorf("%s:%d: %d values, want %d", path, line, len(row), n)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

func runCalibProject(g *globalOptions, o calibProjectOptions, points string) error {
	m, T, err := calibCamera(o)
	if err != nil {
		return err
	}
	rows, err := calibReadRows(points, 3)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(g.stdout)
	defer w.Flush()
	in := m.Intrinsics()
	var js []calibJSONPixel
	for _, r := range rows {
		p := T.Apply(r3.Vec{X: r[0], Y: r[1], Z: r[2]})
		u, v, ok := m.Project(p)
		ok = ok && in.InImage(u, v)
		if g.JSON {
			js = append(js, calibJSONPixel{U: jsonNum(u), V: jsonNum(v), Depth: jsonNum(p.Z), Valid: ok})
			continue
		}
		valid := 0
		if ok {
			valid = 1
		}
		fmt.Fprintf(w, "%s,%s,%s,%d\n", calibNum(u), calibNum(v), calibNum(p.Z), valid)
	}
	if g.JSON {
		if js == nil {
			js = []calibJSONPixel{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Points []calibJSONPixel `json:"points"`
		}{js})
	}
	return nil
}

// calibJSONPixel is one point of "calib project --json": the pixel (null
// when undefined), the depth along the optical axis, and whether the point
// is visible.
type calibJSONPixel struct {
	U     *float64 `json:"u"`
	V     *float64 `json:"v"`
	Depth *float64 `json:"depth"`
	Valid bool     `json:"valid"`
}

// jsonNum is x for JSON, nil (null) for NaN and ±Inf.
func jsonNum(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func calibNum(x float64) string {
	if math.IsNaN(x) {
		return "nan"
	}
	return strconv.FormatFloat(x, 'f', 6, 64)
}

// ---- solve ----

type calibSolveOptions struct {
	Method  string
	Calib   string
	Rig     string
	Camera  string
	RANSAC  float64
	MaxDist float64
	Init    string
}

func newCalibSolveCommand(g *globalOptions) *cobra.Command {
	var o calibSolveOptions
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
	c.Flags().StringVar(&o.Calib, "calib", "", "pnp: camera calibration file")
	c.Flags().StringVar(&o.Rig, "rig", "", "pnp: rig.yaml (with --camera)")
	c.Flags().StringVar(&o.Camera, "camera", "", "pnp: camera name")
	c.Flags().Float64Var(&o.RANSAC, "ransac", 0, "RANSAC inlier threshold: metres for kabsch, pixels for pnp (0 = no RANSAC)")
	c.Flags().Float64Var(&o.MaxDist, "max-dist", 1, "icp: largest correspondence distance (m)")
	c.Flags().StringVar(&o.Init, "init", "", "icp: initial T_target_source, 16 comma-separated values row-major")
	return c
}

type calibJSONSolve struct {
	Method       string            `json:"method"`
	T            [4][4]float64     `json:"T"`
	Translation  [3]float64        `json:"translation"`
	RotationXYZW [4]float64        `json:"rotation_xyzw"`
	RPYDeg       [3]float64        `json:"rpy_deg"`
	Scale        float64           `json:"scale"`
	RMS          float64           `json:"rms"`
	Residuals    []*float64        `json:"residuals"`
	Fitness      float64           `json:"fitness"`
	Inliers      int               `json:"inliers"`
	Iterations   int               `json:"iterations"`
	Uncertainty  solve.Uncertainty `json:"uncertainty"`
}

func calibArgs(args []string, n int, usage string) error {
	if len(args) != n {
		return usageError{fmt.Errorf("calib solve: expected %s", usage)}
	}
	return nil
}

func calibVecs(rows [][]float64) []r3.Vec {
	out := make([]r3.Vec, len(rows))
	for i, r := range rows {
		out[i] = r3.Vec{X: r[0], Y: r[1], Z: r[2]}
	}
	return out
}

func calibPoses(path string) ([]se3.Transform, error) {
	rows, err := calibReadRows(path, 7)
	if err != nil {
		return nil, err
	}
	out := make([]se3.Transform, len(rows))
	for i, r := range rows {
		T, err := se3.FromQuatXYZW(r[3], r[4], r[5], r[6], r3.Vec{X: r[0], Y: r[1], Z: r[2]})
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, i+1, err)
		}
		out[i] = T
	}
	return out, nil
}

func calibReadPCD(path string) ([]r3.Vec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pts, err := pcd.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pts, nil
}

func runCalibSolve(g *globalOptions, o calibSolveOptions, args []string) error {
	var res solve.Result
	var err error
	switch o.Method {
	case "kabsch":
		if err := calibArgs(args, 2, "SOURCE.csv TARGET.csv"); err != nil {
			return err
		}
		src, err := calibReadRows(args[0], 3)
		if err != nil {
			return err
		}
		dst, err := calibReadRows(args[1], 3)
		if err != nil {
			return err
		}
		if o.RANSAC > 0 {
			res, err = solve.KabschRANSAC(calibVecs(src), calibVecs(dst), solve.RANSACOptions{Threshold: o.RANSAC, Seed: 1})
		} else {
			res, err = solve.Kabsch(calibVecs(src), calibVecs(dst))
		}
		if err != nil {
			return err
		}
	case "pnp":
		if err := calibArgs(args, 1, "POINTS.csv (X,Y,Z,u,v per line)"); err != nil {
			return err
		}
		m, _, err := calibCamera(calibProjectOptions{Rig: o.Rig, Camera: o.Camera, Calib: o.Calib})
		if err != nil {
			return err
		}
		rows, err := calibReadRows(args[0], 5)
		if err != nil {
			return err
		}
		world := make([]r3.Vec, len(rows))
		pix := make([][2]float64, len(rows))
		for i, r := range rows {
			world[i], pix[i] = r3.Vec{X: r[0], Y: r[1], Z: r[2]}, [2]float64{r[3], r[4]}
		}
		if o.RANSAC > 0 {
			res, err = solve.PnPRANSAC(m, world, pix, solve.RANSACOptions{Threshold: o.RANSAC, Seed: 1})
		} else {
			res, err = solve.PnP(m, world, pix, solve.PnPOptions{})
		}
		if err != nil {
			return err
		}
	case "handeye":
		if err := calibArgs(args, 2, "POSES1.csv POSES2.csv"); err != nil {
			return err
		}
		a, err := calibPoses(args[0])
		if err != nil {
			return err
		}
		b, err := calibPoses(args[1])
		if err != nil {
			return err
		}
		if len(a) != len(b) {
			return fmt.Errorf("calib solve: %d poses in %s, %d in %s (tracks must be time-aligned)", len(a), args[0], len(b), args[1])
		}
		if res, err = solve.HandEye(solve.RelativeMotions(a), solve.RelativeMotions(b)); err != nil {
			return err
		}
	case "icp":
		if err := calibArgs(args, 2, "SOURCE.pcd TARGET.pcd"); err != nil {
			return err
		}
		init := se3.Identity()
		if o.Init != "" {
			parts := strings.Split(o.Init, ",")
			if len(parts) != 16 {
				return usageError{fmt.Errorf("--init has %d values, want 16", len(parts))}
			}
			var m [4][4]float64
			for i, s := range parts {
				v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil {
					return usageError{fmt.Errorf("--init value %d: %v", i, err)}
				}
				m[i/4][i%4] = v
			}
			if init, err = se3.FromMatrix4(m); err != nil {
				return usageError{fmt.Errorf("--init: %w", err)}
			}
		}
		src, err := calibReadPCD(args[0])
		if err != nil {
			return err
		}
		dst, err := calibReadPCD(args[1])
		if err != nil {
			return err
		}
		if res, err = solve.ICP(src, dst, init, solve.ICPOptions{MaxDistance: o.MaxDist}); err != nil {
			return err
		}
	case "":
		return usageError{errors.New("calib solve: --method is required (kabsch, pnp, handeye, icp)")}
	default:
		return usageError{fmt.Errorf("calib solve: unknown --method %q (kabsch, pnp, handeye, icp)", o.Method)}
	}
	_ = err
	T := res.T
	r, p, y := T.RPY()
	out := calibJSONSolve{Method: o.Method, T: T.Matrix4(), Translation: [3]float64{T.Trans.X, T.Trans.Y, T.Trans.Z},
		RotationXYZW: T.QuatXYZW(), RPYDeg: [3]float64{r * 180 / math.Pi, p * 180 / math.Pi, y * 180 / math.Pi},
		Scale: res.Scale, RMS: res.RMS, Fitness: res.Fitness, Iterations: res.Iterations, Uncertainty: res.Uncertainty,
		Inliers: len(res.Residuals)}
	if res.Inliers != nil {
		out.Inliers = len(res.Inliers)
	}
	out.Residuals = make([]*float64, len(res.Residuals))
	for i := range res.Residuals {
		if !math.IsNaN(res.Residuals[i]) {
			out.Residuals[i] = &res.Residuals[i]
		}
	}
	if g.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	w := g.stdout
	fmt.Fprintf(w, "method:      %s\n", o.Method)
	fmt.Fprintln(w, "T (maps source into target, row-major):")
	for _, row := range out.T {
		fmt.Fprintf(w, "  %12.8f %12.8f %12.8f %12.6f\n", row[0], row[1], row[2], row[3])
	}
	fmt.Fprintf(w, "translation: [%.6f %.6f %.6f] m  ±[%.2g %.2g %.2g]\n", out.Translation[0], out.Translation[1], out.Translation[2],
		res.Uncertainty.SigmaTrans[0], res.Uncertainty.SigmaTrans[1], res.Uncertainty.SigmaTrans[2])
	fmt.Fprintf(w, "rotation:    q_xyzw=[%.8f %.8f %.8f %.8f]  rpy=[%.4f %.4f %.4f]° ±[%.2g %.2g %.2g]°\n", out.RotationXYZW[0], out.RotationXYZW[1],
		out.RotationXYZW[2], out.RotationXYZW[3], out.RPYDeg[0], out.RPYDeg[1], out.RPYDeg[2],
		res.Uncertainty.SigmaRotDeg[0], res.Uncertainty.SigmaRotDeg[1], res.Uncertainty.SigmaRotDeg[2])
	fmt.Fprintf(w, "rms:         %.6g   inliers: %d/%d   fitness: %.3f   iterations: %d\n", res.RMS, out.Inliers, len(res.Residuals), res.Fitness, res.Iterations)
	return nil
}

// ---- rig ----

type calibRigOptions struct {
	Base string
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
		Use:   "init LOG.mcap",
		Short: "Draft rig.yaml from the log's /tf_static and camera infos",
		Long: `init reads the log's channels, /tf_static transforms and CameraInfo /
CameraCalibration messages and writes rig.yaml to stdout: one sensor per
data channel (camera, lidar, radar, imu, gnss, odometry) named by its frame
id, with the extrinsic T_<base>_<frame> when /tf_static connects the frame
to --base, and the intrinsics of the camera info in the same frame. What it
could not find is listed in each sensor's "missing" (intrinsics, extrinsic,
frame; clock always, as a log cannot tell a clock's offset).

Exit codes: 0 ok, 1 unreadable log, 2 usage error.`,
		Example: `  rigsync calib rig init drive.mcap > rig.yaml
  rigsync calib rig init drive.mcap --base base_footprint`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rg, err := logcalib.ReadRig(cmd.Context(), args[0], o.Base)
			if err != nil {
				return err
			}
			return rg.Write(g.stdout)
		},
	}
	initCmd.Flags().StringVar(&o.Base, "base", "base_link", "base frame of the extrinsics")
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

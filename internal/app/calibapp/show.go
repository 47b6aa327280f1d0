package calibapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/losses"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
)

// Camera is one camera of a ShowResult: its model, image size, pinhole
// intrinsics and distortion coefficients in the model's order.
type Camera struct {
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

// Transform is one transform T_parent_child of a ShowResult, in the forms
// people compare: translation (metres), quaternion w,x,y,z, roll-pitch-yaw
// (degrees, URDF's R = Rz(yaw)·Ry(pitch)·Rx(roll)) and the 4×4 row-major
// matrix mapping child points into the parent.
type Transform struct {
	Parent       string        `json:"parent"`
	Child        string        `json:"child"`
	Translation  [3]float64    `json:"translation"`
	RotationWXYZ [4]float64    `json:"rotation_wxyz"`
	RPYDeg       [3]float64    `json:"rpy_deg"`
	T            [4][4]float64 `json:"T"`
}

// ShowResult is what "calib show" prints: the cameras and transforms of a
// calibration file or of a log, and a file's scalars (e.g. Kalibr's
// timeshift_cam_imu). It marshals to the command's --json output.
type ShowResult struct {
	File       string             `json:"file"`
	Format     string             `json:"format"`
	Cameras    []Camera           `json:"cameras"`
	Transforms []Transform        `json:"transforms"`
	Scalars    map[string]float64 `json:"scalars,omitempty"`
	// Problems are what the log reader lost in the part of a log it read
	// (damage, a cut file; losses.Of), [] for a sound log; absent for a
	// calibration file.
	Problems []fusion.InputProblem `json:"problems,omitzero"`
}

// Show reads the calibration at path: a calibration file of any format
// calibio reads (detected from the content), a rig.yaml (Format "rig":
// its cameras and base → sensor transforms), or an MCAP log (its
// /tf_static transforms and the first CameraInfo / CameraCalibration of
// each channel; Format "mcap"), a ROS 1 bag (Format "ros1-bag") or a
// rosbag2 bag (Format "rosbag2").
func Show(ctx context.Context, path string) (*ShowResult, error) {
	out := &ShowResult{File: path, Cameras: []Camera{}, Transforms: []Transform{}}
	if _, err := logfile.Detect(path); err != nil {
		if fe, ok := errors.AsType[*mcapread.FormatError](err); ok {
			return nil, fe // a log format rigsync does not read (a ROS 1 bag before 2.0)
		}
	}
	if format, ok := logfile.Sniff(path); ok || isMCAP(path) {
		if !ok {
			format = logfile.MCAP
		}
		lc, probs, err := readLogCalibration(ctx, path)
		if err != nil {
			return nil, err
		}
		out.Format, out.Problems = string(format), probs
		for _, c := range lc.Cameras {
			out.Cameras = append(out.Cameras, cameraOf(c))
		}
		for _, e := range lc.Static {
			out.Transforms = append(out.Transforms, transformOf(e.Parent, e.Child, e.T))
		}
		return out, nil
	}
	c, err := calibio.ReadFile(path)
	if err != nil {
		// A rig.yaml is shown as the cameras and base → sensor transforms
		// it holds.
		if b, rerr := calibio.ReadFileBytes(path); rerr == nil && rigfiles.IsRigYAML(b) {
			rg, lerr := rig.Load(bytes.NewReader(b))
			if lerr != nil {
				return nil, fmt.Errorf("%s: %w", path, lerr)
			}
			if c, err = RigCalibration(rg, ""); err != nil {
				return nil, err
			}
			c.Format = RigFormat
		} else {
			return nil, err
		}
	}
	out.Format = string(c.Format)
	out.Scalars = c.Scalars
	for _, cam := range c.Cameras {
		out.Cameras = append(out.Cameras, cameraOf(cam))
	}
	for _, e := range c.Extrinsics {
		out.Transforms = append(out.Transforms, transformOf(e.Parent, e.Child, e.T))
	}
	return out, nil
}

// WriteText writes the human form: the file and format, a table of the
// cameras, a table of the transforms, the scalars sorted by name, then
// the "lost:" section of a damaged log (losses.WriteText). It
// returns the first write error.
func (s *ShowResult) WriteText(w io.Writer) error {
	sw := &stickyWriter{w: w}
	fmt.Fprintf(sw, "file:    %s\nformat:  %s\n", s.File, s.Format)
	if len(s.Cameras) > 0 {
		fmt.Fprintln(sw, "\nCameras:")
		tw := tabwriter.NewWriter(sw, 0, 0, 2, ' ', 0)
		for _, c := range s.Cameras {
			fmt.Fprintf(tw, "  %s\t%s\t%dx%d\tfx=%.4f fy=%.4f cx=%.4f cy=%.4f\tD=%v\n", c.Name, c.Model, c.Width, c.Height, c.Fx, c.Fy, c.Cx, c.Cy, c.Distortion)
		}
		tw.Flush()
	}
	if len(s.Transforms) > 0 {
		fmt.Fprintln(sw, "\nTransforms (T_parent_child; quaternion w,x,y,z; rpy degrees):")
		tw := tabwriter.NewWriter(sw, 0, 0, 2, ' ', 0)
		for _, e := range s.Transforms {
			fmt.Fprintf(tw, "  %s → %s\tt=[%.6f %.6f %.6f]\tq=[%.6f %.6f %.6f %.6f]\trpy=[%.4f %.4f %.4f]\n", e.Parent, e.Child,
				e.Translation[0], e.Translation[1], e.Translation[2], e.RotationWXYZ[0], e.RotationWXYZ[1], e.RotationWXYZ[2], e.RotationWXYZ[3],
				e.RPYDeg[0], e.RPYDeg[1], e.RPYDeg[2])
		}
		tw.Flush()
	}
	keys := make([]string, 0, len(s.Scalars))
	for k := range s.Scalars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(sw, "%s: %g\n", k, s.Scalars[k])
	}
	if len(s.Problems) > 0 {
		fmt.Fprintln(sw)
		losses.WriteText(sw, s.Problems)
	}
	return sw.err
}

func transformOf(parent, child string, T se3.Transform) Transform {
	r, p, y := T.RPY()
	return Transform{Parent: parent, Child: child, Translation: [3]float64{T.Trans.X, T.Trans.Y, T.Trans.Z},
		RotationWXYZ: T.QuatWXYZ(), RPYDeg: [3]float64{r * 180 / math.Pi, p * 180 / math.Pi, y * 180 / math.Pi}, T: T.Matrix4()}
}

func cameraOf(c calibio.Camera) Camera {
	in := c.Intrinsics
	d := c.Params
	if d == nil {
		d = []float64{}
	}
	return Camera{Name: c.Name, Frame: c.Frame, Topic: c.Topic, Model: c.Model, Width: in.Width, Height: in.Height,
		Fx: in.Fx, Fy: in.Fy, Cx: in.Cx, Cy: in.Cy, Distortion: d}
}

// isMCAP reports whether path names an MCAP log: by its extension, else
// by its magic bytes.
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

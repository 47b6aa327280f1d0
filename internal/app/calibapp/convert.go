package calibapp

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
	"github.com/rigsync/rigsync/internal/atomicfile"
	"github.com/rigsync/rigsync/internal/outguard"
)

// RigFormat is the --to name of rigsync's own rig.yaml.
const RigFormat = "rig"

// FormatList is the calibration formats Convert writes (rig and
// calibio.Formats), comma separated, for help texts and errors.
func FormatList() string {
	s := []string{RigFormat}
	for _, f := range calibio.Formats {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// ConvertOptions are the settings of Convert (the flags of "calib
// convert").
type ConvertOptions struct {
	// To is the format to write: RigFormat or one of calibio.Formats.
	To string
	// Out is the file to write; "" writes to Convert's w.
	Out string
	// Camera, when set, writes only that camera's intrinsics.
	Camera string
	// Map renames the inputs' frames (FILE_FRAME=SENSOR) when they are
	// merged (several inputs, a rig.yaml input, or --to rig).
	Map []string
	// Base is the base frame of a merged rig ("": a rig.yaml's
	// base_frame, else base_link, else the single root of the transforms).
	Base string
}

// Convert reads the calibration files in (format detected) and writes them
// in the format o.To, to the file o.Out or, without one, to w. One file of
// another format than rig.yaml is converted as it is (every value it
// holds); a rig.yaml, several files, or --to rig are merged into one rig
// first (internal/app/rigfiles, with o.Map and o.Base) and the rig is
// written: as rig.yaml, or as the target format's cameras and transforms
// base → sensor (for kalibr, whose transforms hang from imu0, the base
// frame is written as imu0; map it back with --map imu0=BASE). An unknown
// format or a bad --map is a UsageError. A format that cannot hold the
// calibration is an error, and a refused conversion leaves an existing
// o.Out as it was.
func Convert(w io.Writer, in []string, o ConvertOptions) error {
	toRig := o.To == RigFormat
	f := calibio.Format(o.To)
	if !toRig && !slices.Contains(calibio.Formats, f) {
		return UsageError{fmt.Errorf("calib convert: --to %q: want one of %s", o.To, FormatList())}
	}
	in = rigfiles.Split(in)
	if len(in) == 0 {
		return UsageError{fmt.Errorf("calib convert: no input file")}
	}
	if err := outguard.Check(o.Out, in); err != nil {
		return UsageError{fmt.Errorf("calib convert: %w", err)}
	}
	var write func(io.Writer) error
	single := false
	if len(in) == 1 && !toRig && len(o.Map) == 0 {
		b, err := os.ReadFile(in[0])
		if err != nil {
			return err
		}
		single = !rigfiles.IsRigYAML(b)
	}
	switch {
	case single:
		c, err := calibio.ReadFile(in[0])
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
		write = func(w io.Writer) error { return calibio.Write(w, c, f) }
	default:
		loaded, err := rigfiles.Load(in, o.Map, o.Base)
		if rigfiles.IsUsage(err) {
			return UsageError{fmt.Errorf("calib convert: %w", err)}
		}
		if err != nil {
			return err
		}
		rg := loaded.Rig
		if toRig {
			if o.Camera != "" {
				return UsageError{fmt.Errorf("calib convert: --camera picks a camera's intrinsics; --to rig writes the whole rig")}
			}
			write = rg.Write
			break
		}
		c, err := RigCalibration(rg, f)
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
		write = func(w io.Writer) error { return calibio.Write(w, c, f) }
	}
	if o.Out == "" {
		return write(w)
	}
	return atomicfile.Write(o.Out, write)
}

// RigCalibration converts a rig to the calibio model of format f: each
// camera's intrinsics (named by the sensor's name, its frame and topic
// kept) and each extrinsic as the transform base_frame → the sensor's
// frame, T_base_sensor. For kalibr the base frame is named imu0
// (calibio.KalibrIMUFrame), the frame Kalibr's T_cam_imu hangs from.
func RigCalibration(rg *rig.Rig, f calibio.Format) (*calibio.Calibration, error) {
	base := rg.BaseFrame
	if f == calibio.Kalibr {
		base = calibio.KalibrIMUFrame
	}
	c := &calibio.Calibration{Format: f}
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		frame := s.Frame
		if frame == "" {
			frame = s.Name
		}
		if s.Intrinsics != nil {
			in := s.Intrinsics
			name := s.Name
			if f == calibio.Kalibr {
				name = frame // transforms and cameras meet by name
			}
			c.Cameras = append(c.Cameras, calibio.Camera{Name: name, Frame: frame, Topic: s.Topic, Model: in.Model,
				Intrinsics: camera.Intrinsics{Fx: in.Fx, Fy: in.Fy, Cx: in.Cx, Cy: in.Cy, Width: in.Width, Height: in.Height},
				Params:     slices.Clone(in.Distortion)})
		}
		if s.Extrinsic != nil && frame != rg.BaseFrame {
			T, err := s.T()
			if err != nil {
				return nil, err
			}
			c.Extrinsics = append(c.Extrinsics, calibio.Extrinsic{Parent: base, Child: frame, T: T})
		}
	}
	if f == calibio.Kalibr {
		var others []string
		for i := range rg.Sensors {
			if s := &rg.Sensors[i]; s.Intrinsics == nil && s.Extrinsic != nil {
				others = append(others, s.Name)
			}
		}
		if len(others) > 0 {
			return nil, fmt.Errorf("%w: sensors without intrinsics (%s): a Kalibr camchain holds cameras only", calibio.ErrCannotHold, strings.Join(others, ", "))
		}
	}
	return c, nil
}

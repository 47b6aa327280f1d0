package rig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/spatial/r3"
	"gopkg.in/yaml.v3"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/tftree"
)

// Version is the rig.yaml schema version this package writes.
const Version = 1

// Example is a commented rig.yaml.
const Example = `# rig.yaml — the sensors of one robot or vehicle, for rigsync.
version: 1
# The frame every extrinsic is expressed in (REP-103: x forward, y left, z up).
base_frame: base_link
sensors:
  - name: front_camera            # unique; used in flags (--camera front_camera)
    topic: /camera/front/image_raw
    modality: camera              # camera, lidar, radar, imu, gnss, odometry
    frame: front_camera_optical   # header.frame_id of the data (optical: z forward, x right, y down)
    intrinsics:                   # cameras only
      model: plumb_bob            # plumb_bob, rational_polynomial, equidistant, double_sphere, eucm
      width: 1920
      height: 1080
      fx: 1266.4
      fy: 1266.4
      cx: 816.3
      cy: 491.5
      # OpenCV order: k1 k2 p1 p2 k3 [k4 k5 k6]; equidistant k1..k4; double_sphere xi alpha; eucm alpha beta
      distortion: [-0.3, 0.1, 0.0, 0.0, 0.0]
    rolling_shutter:              # cameras only; leave out for a global shutter
      readout_ns: 30000000        # first read row to last (< 1 s); the stamp is the first row's mid-exposure
      direction: top_to_bottom    # top_to_bottom (row 0 first) or bottom_to_top
    extrinsic:                    # T_base_sensor: p_base = R(q)·p_sensor + t
      translation: [1.70, 0.02, 1.51]          # metres
      rotation_xyzw: [-0.5, 0.5, -0.5, 0.5]    # quaternion, x y z w order
    clock:                        # sensor stamp = true time + offset + drift·(t − t0)
      offset_ns: 0
      drift_ppm: 0
  - name: lidar_top
    topic: /lidar/top/points
    modality: lidar
    frame: lidar_top
    extrinsic:
      translation: [1.1, 0.0, 1.95]
      rotation_xyzw: [0.0, 0.0, 0.0, 1.0]
    missing: [clock]              # what "rig init" could not find in the log
`

// Intrinsics is a camera calibration.
type Intrinsics struct {
	Model      string    `yaml:"model"`
	Width      int       `yaml:"width"`
	Height     int       `yaml:"height"`
	Fx         float64   `yaml:"fx"`
	Fy         float64   `yaml:"fy"`
	Cx         float64   `yaml:"cx"`
	Cy         float64   `yaml:"cy"`
	Distortion []float64 `yaml:"distortion,flow"`
}

// Extrinsic is T_base_sensor.
type Extrinsic struct {
	Translation  []float64 `yaml:"translation,flow"`
	RotationXYZW []float64 `yaml:"rotation_xyzw,flow"`
}

// Clock is a sensor clock model: stamp = true time + OffsetNs +
// DriftPPM·1e-6·(t − t0).
type Clock struct {
	OffsetNs int64   `yaml:"offset_ns"`
	DriftPPM float64 `yaml:"drift_ppm"`
}

// RollingShutter is a camera's row readout. Row y (pixel centres at
// integer y, 0 the top row, H the image height) is exposed around
// stamp + y/H·ReadoutNs (top_to_bottom) or stamp + (H−1−y)/H·ReadoutNs
// (bottom_to_top): the message stamp is the mid-exposure time of the
// first row read. ReadoutNs 0 is a global shutter.
type RollingShutter struct {
	ReadoutNs int64 `yaml:"readout_ns"`
	// Direction is "top_to_bottom" (the default when empty) or
	// "bottom_to_top".
	Direction string `yaml:"direction,omitempty"`
}

// Rolling-shutter readout directions.
const (
	TopToBottom = "top_to_bottom"
	BottomToTop = "bottom_to_top"
)

// MaxReadoutNs bounds a rolling-shutter readout: a frame is read in less
// than a second.
const MaxReadoutNs = int64(time.Second)

// RowOffsetNs is the time (ns) after the stamp at which image row y (a
// continuous row coordinate, pixel centres at integers) of an image of
// height h is exposed; 0 for a nil or zero readout.
func (r *RollingShutter) RowOffsetNs(y float64, h int) int64 {
	if r == nil || r.ReadoutNs == 0 || h <= 0 {
		return 0
	}
	f := y / float64(h)
	if r.Direction == BottomToTop {
		f = (float64(h) - 1 - y) / float64(h)
	}
	f = max(0, min(1, f))
	return int64(math.Round(f * float64(r.ReadoutNs)))
}

func (r *RollingShutter) check(name string) error {
	if r.ReadoutNs < 0 || r.ReadoutNs >= MaxReadoutNs {
		return fmt.Errorf("rig: sensor %s: rolling_shutter readout_ns %d (want 0 ≤ readout < 1 s, %d ns)", name, r.ReadoutNs, MaxReadoutNs)
	}
	switch r.Direction {
	case "", TopToBottom, BottomToTop:
	default:
		return fmt.Errorf("rig: sensor %s: rolling_shutter direction %q (want top_to_bottom or bottom_to_top)", name, r.Direction)
	}
	return nil
}

// Sensor is one sensor of the rig.
type Sensor struct {
	Name       string      `yaml:"name"`
	Topic      string      `yaml:"topic,omitempty"`
	Modality   string      `yaml:"modality"`
	Frame      string      `yaml:"frame,omitempty"`
	Intrinsics *Intrinsics `yaml:"intrinsics,omitempty"`
	Extrinsic  *Extrinsic  `yaml:"extrinsic,omitempty"`
	Clock      *Clock      `yaml:"clock,omitempty"`
	// RollingShutter is a camera's readout (nil: global shutter).
	RollingShutter *RollingShutter `yaml:"rolling_shutter,omitempty"`
	Missing        []string        `yaml:"missing,omitempty,flow"`
	// Notes say what "rig init" assumed for this sensor (e.g. an
	// extrinsic taken from the first value of a mount published on /tf).
	Notes []string `yaml:"notes,omitempty"`
	// Sources says, per item ("extrinsic", "intrinsics", "clock"), which
	// file it came from, when the rig was merged from several calibration
	// files (calib/rigmerge); it is not written to rig.yaml. An item
	// without an entry came from a rig.yaml.
	Sources map[string]string `yaml:"-"`
}

// Rig is the content of rig.yaml.
type Rig struct {
	Version   int      `yaml:"version"`
	BaseFrame string   `yaml:"base_frame"`
	Sensors   []Sensor `yaml:"sensors"`
}

var modalities = map[string]bool{"camera": true, "lidar": true, "radar": true, "imu": true, "gnss": true, "odometry": true, "other": true}

// Load parses and validates rig.yaml. Unknown keys are errors (a typo must
// not silently drop a calibration).
func Load(r io.Reader) (*Rig, error) {
	b, err := io.ReadAll(io.LimitReader(r, calibio.MaxYAMLSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > calibio.MaxYAMLSize {
		return nil, fmt.Errorf("rig: %d bytes or more, more than the %d (%d MiB) a rig.yaml may hold", len(b), calibio.MaxYAMLSize, calibio.MaxYAMLSize>>20)
	}
	if err := calibio.CheckYAMLNumbers(b, ""); err != nil {
		return nil, fmt.Errorf("rig: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var rg Rig
	if err := dec.Decode(&rg); err != nil {
		return nil, fmt.Errorf("rig: %w", err)
	}
	if err := rg.Validate(); err != nil {
		return nil, err
	}
	return &rg, nil
}

// Validate checks names, modalities, intrinsics and extrinsics, and refuses
// impossible values: intrinsics on a sensor that is not a camera, an image
// side beyond MaxImageSide or negative, a non-finite extrinsic, a sensor
// beyond MaxTranslation from the base, a quaternion whose norm is outside
// [0.9, 1.1], a clock offset beyond ±1 day or drift beyond MaxDriftPPM, a
// rolling_shutter on a sensor that is not a camera, with a readout outside
// [0, MaxReadoutNs) or an unknown direction, two sensors sharing a frame with different extrinsics. Warnings lists the
// suspicious values it lets through.
func (rg *Rig) Validate() error {
	if rg.Version != Version {
		return fmt.Errorf("rig: version %d (this rigsync reads version %d)", rg.Version, Version)
	}
	if rg.BaseFrame == "" {
		return errors.New("rig: base_frame is empty")
	}
	seen := map[string]bool{}
	for i, s := range rg.Sensors {
		if s.Name == "" {
			return fmt.Errorf("rig: sensors[%d] has no name", i)
		}
		if seen[s.Name] {
			return fmt.Errorf("rig: sensors[%d]: duplicate name %q", i, s.Name)
		}
		seen[s.Name] = true
		if !modalities[s.Modality] {
			return fmt.Errorf("rig: sensor %s: modality %q (want camera, lidar, radar, imu, gnss, odometry or other)", s.Name, s.Modality)
		}
		if s.Intrinsics != nil {
			if s.Modality != "camera" && s.Modality != "other" {
				return fmt.Errorf("rig: sensor %s: intrinsics on a %s (only a camera has them)", s.Name, s.Modality)
			}
			if in := s.Intrinsics; in.Width < 0 || in.Height < 0 || in.Width > MaxImageSide || in.Height > MaxImageSide {
				return fmt.Errorf("rig: sensor %s: image size %dx%d (want 1..%d, 0 if unknown)", s.Name, in.Width, in.Height, MaxImageSide)
			}
			if _, err := s.Camera(); err != nil {
				return err
			}
		}
		if rs := s.RollingShutter; rs != nil {
			if s.Modality != "camera" && s.Modality != "other" {
				return fmt.Errorf("rig: sensor %s: rolling_shutter on a %s (only a camera has one)", s.Name, s.Modality)
			}
			if err := rs.check(s.Name); err != nil {
				return err
			}
		}
		if s.Extrinsic != nil {
			if err := s.Extrinsic.check(s.Name); err != nil {
				return err
			}
			if _, err := s.T(); err != nil {
				return err
			}
		}
		if c := s.Clock; c != nil {
			if c.OffsetNs > MaxClockOffsetNs || c.OffsetNs < -MaxClockOffsetNs {
				return fmt.Errorf("rig: sensor %s: clock offset_ns %d is beyond ±1 day (%d ns)", s.Name, c.OffsetNs, int64(MaxClockOffsetNs))
			}
			if !finite(c.DriftPPM) || math.Abs(c.DriftPPM) > MaxDriftPPM {
				return fmt.Errorf("rig: sensor %s: clock drift_ppm %v is beyond ±%g ppm", s.Name, c.DriftPPM, float64(MaxDriftPPM))
			}
		}
	}
	return rg.checkSharedFrames()
}

// Limits of the values a rig may hold: beyond them a value is impossible
// for a robot or vehicle rig and Validate refuses it.
const (
	// MaxImageSide is the largest image width or height.
	MaxImageSide = 65536
	// MaxTranslation is the largest distance of a sensor from the base
	// frame (m).
	MaxTranslation = 1000
	// MaxClockOffsetNs is the largest clock offset (one day).
	MaxClockOffsetNs = 24 * 3600 * 1e9
	// MaxDriftPPM is the largest clock drift (10 %).
	MaxDriftPPM = 1e5
	// quatNormLo and quatNormHi bound a quaternion's norm: outside them
	// it is not a unit quaternion written with rounding but a typo, a
	// wrong order or not a quaternion ([1, 1, 1, 1] has norm 2).
	quatNormLo, quatNormHi = 0.9, 1.1
	// quatNormTol is how far from 1 a norm is normalised without a
	// warning.
	quatNormTol = 1e-3
)

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// check refuses non-finite values, translations beyond MaxTranslation and
// quaternions whose norm is outside [0.9, 1.1].
func (e *Extrinsic) check(name string) error {
	for i, v := range e.Translation {
		if !finite(v) {
			return fmt.Errorf("rig: sensor %s: extrinsic translation[%d] = %v is not finite", name, i, v)
		}
	}
	for i, v := range e.RotationXYZW {
		if !finite(v) {
			return fmt.Errorf("rig: sensor %s: extrinsic rotation_xyzw[%d] = %v is not finite", name, i, v)
		}
	}
	if len(e.Translation) == 3 {
		if d := math.Sqrt(e.Translation[0]*e.Translation[0] + e.Translation[1]*e.Translation[1] + e.Translation[2]*e.Translation[2]); d > MaxTranslation {
			return fmt.Errorf("rig: sensor %s: extrinsic translation %v is %.4g m from the base frame (at most %d m)", name, e.Translation, d, MaxTranslation)
		}
	}
	if n := e.quatNorm(); len(e.RotationXYZW) == 4 && (n < quatNormLo || n > quatNormHi) {
		return fmt.Errorf("rig: sensor %s: extrinsic rotation_xyzw %v has norm %.4g: not a rotation (a unit quaternion, x y z w)", name, e.RotationXYZW, n)
	}
	return nil
}

func (e *Extrinsic) quatNorm() float64 {
	var s float64
	for _, v := range e.RotationXYZW {
		s += v * v
	}
	return math.Sqrt(s)
}

// frameOf is the frame a sensor's data is in: its frame, else its name.
func (s *Sensor) frameOf() string {
	if s.Frame != "" {
		return s.Frame
	}
	return s.Name
}

// checkSharedFrames refuses two sensors in one frame with different
// extrinsics: one of them would silently get the other's.
func (rg *Rig) checkSharedFrames() error {
	first := map[string]int{}
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		f := s.frameOf()
		j, ok := first[f]
		if !ok {
			first[f] = i
			continue
		}
		o := &rg.Sensors[j]
		if s.Extrinsic == nil || o.Extrinsic == nil {
			continue
		}
		a, errA := o.T()
		b, errB := s.T()
		if errA != nil || errB != nil {
			continue
		}
		if ang, d := se3.Diff(a, b); ang > 1e-9 || d > 1e-9 {
			return fmt.Errorf("rig: sensors %s and %s share frame %q with different extrinsics (%.3g rad, %.3g m apart): give each its own frame", o.Name, s.Name, f, ang, d)
		}
	}
	return nil
}

// Warnings lists what is suspicious in a valid rig, one sentence each: a
// quaternion normalised from a norm more than 1e-3 from 1, a camera
// without intrinsics (not listed in missing) or without an image size,
// two sensors sharing a frame (with one extrinsic), a sensor more than
// 100 m from the base, a clock offset beyond a minute or a drift beyond
// 1000 ppm.
func (rg *Rig) Warnings() []string {
	var out []string
	frames := map[string]string{}
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		if e := s.Extrinsic; e != nil && len(e.RotationXYZW) == 4 {
			if n := e.quatNorm(); math.Abs(n-1) > quatNormTol {
				out = append(out, fmt.Sprintf("rig: sensor %s: rotation_xyzw %v has norm %.6g, normalised", s.Name, e.RotationXYZW, n))
			}
			if len(e.Translation) == 3 {
				if d := math.Sqrt(e.Translation[0]*e.Translation[0] + e.Translation[1]*e.Translation[1] + e.Translation[2]*e.Translation[2]); d > 100 {
					out = append(out, fmt.Sprintf("rig: sensor %s: %.4g m from the base frame", s.Name, d))
				}
			}
		}
		if s.Modality == "camera" {
			switch {
			case s.Intrinsics == nil && !slices.Contains(s.Missing, "intrinsics"):
				out = append(out, fmt.Sprintf("rig: camera %s has no intrinsics (the log's camera_info is used)", s.Name))
			case s.Intrinsics != nil && (s.Intrinsics.Width == 0 || s.Intrinsics.Height == 0):
				out = append(out, fmt.Sprintf("rig: camera %s has no image size (width, height): it cannot be checked against the images", s.Name))
			}
		}
		if c := s.Clock; c != nil {
			if c.OffsetNs > 60e9 || c.OffsetNs < -60e9 {
				out = append(out, fmt.Sprintf("rig: sensor %s: clock offset %v is more than a minute", s.Name, time.Duration(c.OffsetNs)))
			}
			if math.Abs(c.DriftPPM) > 1000 {
				out = append(out, fmt.Sprintf("rig: sensor %s: clock drift %g ppm is more than 1000 ppm", s.Name, c.DriftPPM))
			}
		}
		f := s.frameOf()
		if o, ok := frames[f]; ok {
			out = append(out, fmt.Sprintf("rig: sensors %s and %s share frame %q", o, s.Name, f))
		} else {
			frames[f] = s.Name
		}
	}
	return out
}

// Sensor returns the sensor named name.
func (rg *Rig) Sensor(name string) (*Sensor, error) {
	var names []string
	for i := range rg.Sensors {
		if rg.Sensors[i].Name == name {
			return &rg.Sensors[i], nil
		}
		names = append(names, rg.Sensors[i].Name)
	}
	return nil, fmt.Errorf("rig: no sensor %q (have %s)", name, strings.Join(names, ", "))
}

// Camera returns the sensor's camera model.
func (s *Sensor) Camera() (camera.Model, error) {
	in := s.Intrinsics
	if in == nil {
		return nil, fmt.Errorf("rig: sensor %s has no intrinsics", s.Name)
	}
	m, err := camera.New(in.Model, camera.Intrinsics{Fx: in.Fx, Fy: in.Fy, Cx: in.Cx, Cy: in.Cy, Width: in.Width, Height: in.Height}, in.Distortion)
	if err != nil {
		return nil, fmt.Errorf("rig: sensor %s intrinsics: %w", s.Name, err)
	}
	return m, nil
}

// T returns T_base_sensor.
func (s *Sensor) T() (se3.Transform, error) {
	e := s.Extrinsic
	if e == nil {
		return se3.Transform{}, fmt.Errorf("rig: sensor %s has no extrinsic", s.Name)
	}
	if len(e.Translation) != 3 || len(e.RotationXYZW) != 4 {
		return se3.Transform{}, fmt.Errorf("rig: sensor %s extrinsic: translation has %d values, rotation_xyzw %d (want 3 and 4)", s.Name, len(e.Translation), len(e.RotationXYZW))
	}
	q := e.RotationXYZW
	T, err := se3.FromQuatXYZW(q[0], q[1], q[2], q[3], r3.Vec{X: e.Translation[0], Y: e.Translation[1], Z: e.Translation[2]})
	if err != nil {
		return se3.Transform{}, fmt.Errorf("rig: sensor %s extrinsic: %w", s.Name, err)
	}
	return T, nil
}

// SetT sets the extrinsic from T_base_sensor.
func (s *Sensor) SetT(T se3.Transform) {
	q := T.QuatXYZW()
	s.Extrinsic = &Extrinsic{Translation: []float64{T.Trans.X, T.Trans.Y, T.Trans.Z}, RotationXYZW: q[:]}
}

// Tree returns the transform tree base_frame → each sensor's frame (its
// name when the frame is empty). Sensors without an extrinsic are left out.
func (rg *Rig) Tree() (*tftree.Tree, error) {
	tr := tftree.New()
	for i := range rg.Sensors {
		s := &rg.Sensors[i]
		if s.Extrinsic == nil {
			continue
		}
		T, err := s.T()
		if err != nil {
			return nil, err
		}
		f := s.Frame
		if f == "" {
			f = s.Name
		}
		if f == rg.BaseFrame {
			continue
		}
		if err := tr.SetStatic(rg.BaseFrame, f, T); err != nil {
			return nil, fmt.Errorf("rig: sensor %s: %w", s.Name, err)
		}
	}
	return tr, nil
}

// Write writes rg as YAML with a header comment stating the conventions.
func (rg *Rig) Write(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("# rig.yaml — written by rigsync. Extrinsics are T_base_sensor (p_base = R(q)·p_sensor + t),\n")
	buf.WriteString("# translations in metres, quaternions in x y z w order; camera frames are optical frames.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(rg); err != nil {
		return fmt.Errorf("rig: %w", err)
	}
	enc.Close()
	_, err := w.Write(buf.Bytes())
	return err
}

// IntrinsicsFrom converts a calibio camera.
func IntrinsicsFrom(c calibio.Camera) *Intrinsics {
	in := c.Intrinsics
	return &Intrinsics{Model: c.Model, Width: in.Width, Height: in.Height, Fx: in.Fx, Fy: in.Fy, Cx: in.Cx, Cy: in.Cy, Distortion: append([]float64(nil), c.Params...)}
}

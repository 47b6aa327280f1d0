package rig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

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

// Sensor is one sensor of the rig.
type Sensor struct {
	Name       string      `yaml:"name"`
	Topic      string      `yaml:"topic,omitempty"`
	Modality   string      `yaml:"modality"`
	Frame      string      `yaml:"frame,omitempty"`
	Intrinsics *Intrinsics `yaml:"intrinsics,omitempty"`
	Extrinsic  *Extrinsic  `yaml:"extrinsic,omitempty"`
	Clock      *Clock      `yaml:"clock,omitempty"`
	Missing    []string    `yaml:"missing,omitempty,flow"`
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

// Validate checks names, modalities, intrinsics and extrinsics.
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
			if _, err := s.Camera(); err != nil {
				return err
			}
		}
		if s.Extrinsic != nil {
			if _, err := s.T(); err != nil {
				return err
			}
		}
	}
	return nil
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

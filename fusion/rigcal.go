package fusion

import (
	"fmt"
	"strings"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/sync/clock"
)

// RigSource is the Calibration.Source wording of an item from a rig file.
const RigSource = "rig.yaml"

// CalibrationFromRig converts a rig (a rig.yaml, or several calibration
// files merged by calib/rigmerge: Source then names each item's file) into a Calibration relative to
// base (the rig's base_frame when empty). Every sensor is keyed by its
// frame (header frame id; its name when the rig gives no frame): its
// extrinsic T_base_sensor (quaternion x, y, z, w in the file), a camera's
// intrinsics as a CameraInfo (K, R = I, P = [K|0]), its topic's sensor and
// modality, and a non-zero clock model (Ref 0, as --clock). When base is
// not the rig's base frame, it must be the frame of a rig sensor with an
// extrinsic, and every extrinsic is re-expressed relative to it.
func CalibrationFromRig(r *rig.Rig, base string) (*Calibration, error) {
	if r == nil {
		return nil, fmt.Errorf("fusion: rig is nil")
	}
	if base == "" {
		base = r.BaseFrame
	}
	c := newCalibration(base)
	reBase := se3.Identity() // T_base_rigbase
	if base != r.BaseFrame {
		found := false
		for i := range r.Sensors {
			s := &r.Sensors[i]
			if frameOf(s) != base || s.Extrinsic == nil {
				continue
			}
			T, err := s.T()
			if err != nil {
				return nil, fmt.Errorf("fusion: %w", err)
			}
			reBase, found = T.Inverse(), true
			break
		}
		if !found {
			return nil, fmt.Errorf("fusion: rig base_frame is %q and no rig sensor with an extrinsic has frame %q", r.BaseFrame, base)
		}
		c.Extrinsics[r.BaseFrame] = reBase
		c.note(r.BaseFrame, "extrinsic "+RigSource)
	}
	for i := range r.Sensors {
		s := &r.Sensors[i]
		frame := frameOf(s)
		if s.Extrinsic != nil {
			T, err := s.T()
			if err != nil {
				return nil, fmt.Errorf("fusion: %w", err)
			}
			c.Extrinsics[frame] = reBase.Mul(T)
			c.note(frame, "extrinsic "+c.rigLabel(s, "extrinsic"))
		}
		if in := s.Intrinsics; in != nil {
			if _, err := s.Camera(); err != nil {
				return nil, fmt.Errorf("fusion: %w", err)
			}
			c.Infos[frame] = formats.CameraInfo{Width: in.Width, Height: in.Height, DistortionModel: in.Model,
				D: append([]float64(nil), in.Distortion...),
				K: [9]float64{in.Fx, 0, in.Cx, 0, in.Fy, in.Cy, 0, 0, 1},
				R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
				P: [12]float64{in.Fx, 0, in.Cx, 0, 0, in.Fy, in.Cy, 0, 0, 0, 1, 0}}
			c.note(frame, "intrinsics "+c.rigLabel(s, "intrinsics"))
		}
		if ck := s.Clock; ck != nil && (ck.OffsetNs != 0 || ck.DriftPPM != 0) {
			if c.Clocks == nil {
				c.Clocks = map[string]clock.Model{}
			}
			c.Clocks[frame] = clock.Model{Offset: ck.OffsetNs, DriftPPM: ck.DriftPPM}
			c.note(frame, "clock "+c.rigLabel(s, "clock"))
		}
		if s.Topic != "" {
			c.Sensors[s.Topic] = TopicSensor{Name: frame, Modality: rigModality(s.Modality)}
		}
	}
	return c, nil
}

// rigLabel is the Source wording of a rig sensor's item: the file the
// merged rig took it from (rig.Sensor.Sources), else RigSource. A file
// label is remembered in RigFiles.
func (c *Calibration) rigLabel(s *rig.Sensor, kind string) string {
	from, ok := s.Sources[kind]
	if !ok || from == "" || from == RigSource {
		return RigSource
	}
	if c.RigFiles == nil {
		c.RigFiles = map[string]bool{}
	}
	c.RigFiles[from] = true
	return from
}

// FromRig reports whether a Source wording (SourceOf) names a rig file
// (RigSource or a merged calibration file) rather than the log.
func (c *Calibration) FromRig(from string) bool {
	return from == RigSource || c.RigFiles[from]
}

func frameOf(s *rig.Sensor) string {
	if s.Frame != "" {
		return s.Frame
	}
	return s.Name
}

func rigModality(m string) formats.Modality {
	switch m {
	case "camera":
		return formats.Camera
	case "lidar":
		return formats.Lidar
	case "radar":
		return formats.Radar
	case "imu":
		return formats.IMUModality
	case "gnss":
		return formats.GNSSModality
	case "odometry":
		return formats.OdometryModality
	}
	return formats.Other
}

// Override returns a copy of c with every item of o replacing c's (o's
// extrinsics, intrinsics, clocks and topic sensors win; what o lacks comes
// from c). Source records, per frame, where each item came from. Both
// must share the base frame.
func (c *Calibration) Override(o *Calibration) (*Calibration, error) {
	if o == nil {
		return c, nil
	}
	if c.Base != o.Base {
		return nil, fmt.Errorf("fusion: calibration base frames differ: %q and %q", c.Base, o.Base)
	}
	out := newCalibration(c.Base)
	kinds := func(src map[string]string, name string) map[string]string {
		m := map[string]string{}
		for _, part := range splitSource(src[name]) {
			kind, from := cutKind(part)
			m[kind] = from
		}
		return m
	}
	src := map[string]map[string]string{}
	setSrc := func(name, kind, from string) {
		if src[name] == nil {
			src[name] = map[string]string{}
		}
		src[name][kind] = from
	}
	for _, x := range []*Calibration{c, o} {
		for k, v := range x.Extrinsics {
			out.Extrinsics[k] = v
			if from, ok := kinds(x.Source, k)["extrinsic"]; ok {
				setSrc(k, "extrinsic", from)
			}
		}
		for k, v := range x.Infos {
			out.Infos[k] = v
			if from, ok := kinds(x.Source, k)["intrinsics"]; ok {
				setSrc(k, "intrinsics", from)
			}
		}
		for k, v := range x.Clocks {
			if out.Clocks == nil {
				out.Clocks = map[string]clock.Model{}
			}
			out.Clocks[k] = v
			if from, ok := kinds(x.Source, k)["clock"]; ok {
				setSrc(k, "clock", from)
			}
		}
		for k, v := range x.Sensors {
			if old, ok := out.Sensors[k]; ok && v.Modality == formats.Other {
				v.Modality = old.Modality
			}
			out.Sensors[k] = v
		}
	}
	for _, x := range []*Calibration{c, o} {
		for k := range x.RigFiles {
			if out.RigFiles == nil {
				out.RigFiles = map[string]bool{}
			}
			out.RigFiles[k] = true
		}
	}
	for name, m := range src {
		for _, kind := range []string{"extrinsic", "intrinsics", "clock"} {
			if from, ok := m[kind]; ok {
				out.note(name, kind+" "+from)
			}
		}
	}
	return out, nil
}

func newCalibration(base string) *Calibration {
	return &Calibration{Base: base, Extrinsics: map[string]se3.Transform{base: se3.Identity()},
		Infos: map[string]formats.CameraInfo{}, Sensors: map[string]TopicSensor{}, Source: map[string]string{}}
}

func splitSource(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func cutKind(part string) (kind, from string) {
	kind, from, _ = strings.Cut(part, " ")
	return kind, from
}

package foxglove

import (
	"fmt"
	"math"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// Marshal encodes d as a protobuf message of the named foxglove schema (a
// name from Names), matching the FileDescriptorSet that Schema returns.
//
// The payload must fit the schema: *formats.CompressedImage for
// foxglove.CompressedImage, *formats.CompressedVideo for CompressedVideo
// (Keyframe is not written: the schema has none, readers find keyframes
// in the data), *formats.Image for RawImage,
// *formats.PointCloud for PointCloud, *formats.Transforms with one
// transform for FrameTransform (its Stamp is the message timestamp) or any
// number for FrameTransforms, *formats.CameraInfo for CameraCalibration,
// *formats.GNSS for LocationFix and *formats.PoseStamped for PoseInFrame.
// For any of the schemas a *formats.Generic holding a *formats.Record with
// the schema's field names (as Value returns) is encoded as is.
//
// d.Stamp (when d.HasStamp) and d.FrameID fill timestamp and frame_id.
// Fields the schema cannot carry are rejected rather than dropped:
// big-endian images and clouds, point fields with Count > 1, clouds with
// row padding, camera binning above 1. A point cloud is written with an
// identity pose and as one row. Not written because foxglove has no such
// field: PointCloud.Dense, GNSS.Status, Transforms.Static.
func Marshal(name string, d formats.Decoded) ([]byte, error) {
	return AppendMarshal(nil, name, d)
}

// AppendMarshal is Marshal appending to b, so that a writer can reuse one
// buffer across messages.
func AppendMarshal(b []byte, name string, d formats.Decoded) ([]byte, error) {
	r, err := ToRecord(name, d)
	if err != nil {
		return nil, err
	}
	p, err := builtinPlan(name)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = make([]byte, 0, sizeHint(r, 0))
	}
	return p.encode(b, r, 0)
}

// sizeHint estimates the encoded size of a record, so that the big bytes
// fields are copied once.
func sizeHint(v any, depth int) int {
	switch x := v.(type) {
	case *formats.Record:
		n := 0
		if depth < maxDepth {
			for _, e := range x.Values {
				n += 12 + sizeHint(e, depth+1)
			}
		}
		return n
	case []byte:
		return len(x)
	case string:
		return len(x)
	case []float64:
		return 8 * len(x)
	case []any:
		n := 0
		for _, e := range x {
			n += 12 + sizeHint(e, depth+1)
		}
		return n
	}
	return 0
}

func builtinPlan(name string) (*plan, error) {
	c, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	if _, err := c.fileSet(name); err != nil {
		return nil, err
	}
	md, err := c.message(name)
	if err != nil {
		return nil, err
	}
	return c.plans.get(md), nil
}

// ToRecord converts a typed payload into a *formats.Record shaped like the
// named foxglove schema (the form Value returns and Marshal encodes), with
// the rules of Marshal.
func ToRecord(name string, d formats.Decoded) (*formats.Record, error) {
	if g, ok := d.Payload.(*formats.Generic); ok {
		r, ok := g.Value.(*formats.Record)
		if !ok {
			return nil, fmt.Errorf("foxglove: marshal %s: generic payload holds %T, want *formats.Record", name, g.Value)
		}
		return r, nil
	}
	bad := func() (*formats.Record, error) {
		return nil, fmt.Errorf("foxglove: marshal %s: payload %T does not fit the schema", name, d.Payload)
	}
	r := &formats.Record{Type: name}
	header := func(frameField string) {
		if d.HasStamp {
			r.Add("timestamp", stampRecord(d.Stamp))
		}
		r.Add(frameField, d.FrameID)
	}
	switch k := kindOf(name); k {
	case kindCompressedImage:
		img, ok := d.Payload.(*formats.CompressedImage)
		if !ok {
			return bad()
		}
		header("frame_id")
		r.Add("data", img.Data)
		r.Add("format", img.Format)
	case kindCompressedVideo:
		cv, ok := d.Payload.(*formats.CompressedVideo)
		if !ok {
			return bad()
		}
		header("frame_id")
		r.Add("data", cv.Data)
		r.Add("format", cv.Format)
	case kindRawImage:
		img, ok := d.Payload.(*formats.Image)
		if !ok {
			return bad()
		}
		if img.BigEndian {
			return nil, fmt.Errorf("foxglove: marshal %s: RawImage has no big-endian form", name)
		}
		for _, x := range []struct {
			n string
			v int
		}{{"width", img.Width}, {"height", img.Height}, {"step", img.Step}} {
			if x.v < 0 || x.v > math.MaxUint32 {
				return nil, fmt.Errorf("foxglove: marshal %s: %s %d out of uint32 range", name, x.n, x.v)
			}
		}
		if need := uint64(img.Height) * uint64(img.Step); need > uint64(len(img.Data)) {
			return nil, fmt.Errorf("foxglove: marshal %s: data has %d bytes, step %d × height %d needs %d", name, len(img.Data), img.Step, img.Height, need)
		}
		header("frame_id")
		r.Add("width", uint64(img.Width))
		r.Add("height", uint64(img.Height))
		r.Add("encoding", img.Encoding)
		r.Add("step", uint64(img.Step))
		r.Add("data", img.Data)
	case kindPointCloud:
		pc, ok := d.Payload.(*formats.PointCloud)
		if !ok {
			return bad()
		}
		header("frame_id")
		if err := cloudRecord(r, pc); err != nil {
			return nil, fmt.Errorf("foxglove: marshal %s: %w", name, err)
		}
	case kindFrameTransform:
		ts, ok := d.Payload.(*formats.Transforms)
		if !ok {
			return bad()
		}
		if len(ts.Transforms) != 1 {
			return nil, fmt.Errorf("foxglove: marshal %s: %d transforms, want 1 (use foxglove.FrameTransforms)", name, len(ts.Transforms))
		}
		return transformRecord(ts.Transforms[0]), nil
	case kindFrameTransforms:
		ts, ok := d.Payload.(*formats.Transforms)
		if !ok {
			return bad()
		}
		l := make([]any, len(ts.Transforms))
		for i, t := range ts.Transforms {
			l[i] = transformRecord(t)
		}
		r.Add("transforms", l)
	case kindCameraCalibration:
		c, ok := d.Payload.(*formats.CameraInfo)
		if !ok {
			return bad()
		}
		if c.Width < 0 || c.Width > math.MaxUint32 || c.Height < 0 || c.Height > math.MaxUint32 {
			return nil, fmt.Errorf("foxglove: marshal %s: size %dx%d out of uint32 range", name, c.Width, c.Height)
		}
		if c.BinningX > 1 || c.BinningY > 1 {
			return nil, fmt.Errorf("foxglove: marshal %s: binning %d×%d cannot be written", name, c.BinningX, c.BinningY)
		}
		header("frame_id")
		r.Add("width", uint64(c.Width))
		r.Add("height", uint64(c.Height))
		r.Add("distortion_model", c.DistortionModel)
		r.Add("D", append([]float64(nil), c.D...))
		r.Add("K", c.K[:])
		r.Add("R", c.R[:])
		r.Add("P", c.P[:])
	case kindLocationFix:
		g, ok := d.Payload.(*formats.GNSS)
		if !ok {
			return bad()
		}
		if g.CovarianceType < 0 || g.CovarianceType > 3 {
			return nil, fmt.Errorf("foxglove: marshal %s: position_covariance_type %d not in 0..3", name, g.CovarianceType)
		}
		header("frame_id")
		r.Add("latitude", g.Latitude)
		r.Add("longitude", g.Longitude)
		r.Add("altitude", g.Altitude)
		r.Add("position_covariance", g.PositionCovariance[:])
		r.Add("position_covariance_type", int64(g.CovarianceType))
	case kindPoseInFrame:
		ps, ok := d.Payload.(*formats.PoseStamped)
		if !ok {
			return bad()
		}
		header("frame_id")
		r.Add("pose", poseRecord(ps.Pose))
	default:
		if _, err := builtinPlan(name); err != nil {
			return nil, err
		}
		return bad()
	}
	return r, nil
}

// stampRecord splits ns into google.protobuf.Timestamp seconds and
// non-negative nanos.
func stampRecord(ns int64) *formats.Record {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	return &formats.Record{Type: "google.protobuf.Timestamp",
		Names: []string{"seconds", "nanos"}, Values: []any{sec, nsec}}
}

func vecRecord(v r3.Vec) *formats.Record {
	return &formats.Record{Type: "foxglove.Vector3",
		Names: []string{"x", "y", "z"}, Values: []any{v.X, v.Y, v.Z}}
}

func quatRecord(q quat.Number) *formats.Record {
	return &formats.Record{Type: "foxglove.Quaternion",
		Names: []string{"x", "y", "z", "w"}, Values: []any{q.Imag, q.Jmag, q.Kmag, q.Real}}
}

func poseRecord(p formats.Pose) *formats.Record {
	return &formats.Record{Type: "foxglove.Pose",
		Names: []string{"position", "orientation"}, Values: []any{vecRecord(p.Position), quatRecord(p.Orientation)}}
}

func transformRecord(t formats.Transform) *formats.Record {
	r := &formats.Record{Type: "foxglove.FrameTransform"}
	r.Add("timestamp", stampRecord(t.Stamp))
	r.Add("parent_frame_id", t.Parent)
	r.Add("child_frame_id", t.Child)
	r.Add("translation", vecRecord(t.Translation))
	r.Add("rotation", quatRecord(t.Rotation))
	return r
}

func cloudRecord(r *formats.Record, pc *formats.PointCloud) error {
	if pc.BigEndian {
		return fmt.Errorf("PointCloud has no big-endian form")
	}
	if pc.PointStep < 0 || pc.PointStep > math.MaxUint32 || pc.Width < 0 || pc.Height < 0 {
		return fmt.Errorf("bad layout: width %d height %d point step %d", pc.Width, pc.Height, pc.PointStep)
	}
	if pc.Height > 1 && pc.RowStep != pc.Width*pc.PointStep {
		return fmt.Errorf("row step %d has padding (width %d × point step %d); foxglove clouds are unpadded", pc.RowStep, pc.Width, pc.PointStep)
	}
	n := pc.Len() * pc.PointStep
	if len(pc.Data) < n {
		return fmt.Errorf("data has %d bytes, layout needs %d", len(pc.Data), n)
	}
	fields := make([]any, len(pc.Fields))
	for i, f := range pc.Fields {
		t, ok := numericType(f.Type)
		if !ok {
			return fmt.Errorf("field %q has unknown type %d", f.Name, f.Type)
		}
		if f.Count > 1 {
			return fmt.Errorf("field %q has count %d; foxglove fields hold one element", f.Name, f.Count)
		}
		if f.Offset < 0 || f.Offset > math.MaxUint32 {
			return fmt.Errorf("field %q offset %d out of uint32 range", f.Name, f.Offset)
		}
		fields[i] = &formats.Record{Type: "foxglove.PackedElementField",
			Names:  []string{"name", "offset", "type"},
			Values: []any{f.Name, uint64(f.Offset), t}}
	}
	r.Add("pose", poseRecord(formats.Pose{Orientation: quat.Number{Real: 1}}))
	r.Add("point_stride", uint64(pc.PointStep))
	r.Add("fields", fields)
	r.Add("data", pc.Data[:n])
	return nil
}

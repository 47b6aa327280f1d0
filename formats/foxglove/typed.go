package foxglove

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/annexb"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// ErrCloudPose is returned (wrapped) when a foxglove.PointCloud has a pose
// other than identity: formats.PointCloud cannot carry it, and dropping it
// would misplace every point.
var ErrCloudPose = errors.New("foxglove: point cloud pose is not identity")

// view reads typed fields from a generically decoded Record (protobuf or
// JSON). A missing or null field reads as the zero value; a field of the
// wrong kind is an error naming it.
type view struct {
	r    *formats.Record
	path string // for errors, e.g. foxglove.PointCloud.fields[2]
	json bool   // bytes are base64 strings
}

func (v view) errf(name, format string, args ...any) error {
	return fmt.Errorf("foxglove: %s.%s: %s", v.path, name, fmt.Sprintf(format, args...))
}

func (v view) get(name string) any {
	if v.r == nil {
		return nil
	}
	x, _ := v.r.Get(name)
	return x
}

func (v view) has(name string) bool { return v.get(name) != nil }

func (v view) str(name string) (string, error) {
	switch x := v.get(name).(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	default:
		return "", v.errf(name, "got %T, want string", x)
	}
}

func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func (v view) float(name string) (float64, error) {
	x := v.get(name)
	if x == nil {
		return 0, nil
	}
	f, ok := toFloat(x)
	if !ok {
		return 0, v.errf(name, "got %T, want number", x)
	}
	return f, nil
}

// int reads an integer field in [lo, hi]; JSON floats with no fraction are
// accepted.
func (v view) int(name string, lo, hi int64) (int64, error) {
	var i int64
	switch n := v.get(name).(type) {
	case nil:
		return 0, nil
	case int64:
		i = n
	case uint64:
		if n > uint64(hi) || hi < 0 {
			return 0, v.errf(name, "%d out of range [%d, %d]", n, lo, hi)
		}
		i = int64(n)
	case float64:
		if n != math.Trunc(n) || n < float64(lo) || n > float64(hi) {
			return 0, v.errf(name, "%v is not an integer in [%d, %d]", n, lo, hi)
		}
		i = int64(n)
	default:
		return 0, v.errf(name, "got %T, want integer", n)
	}
	if i < lo || i > hi {
		return 0, v.errf(name, "%d out of range [%d, %d]", i, lo, hi)
	}
	return i, nil
}

func (v view) bytes(name string) ([]byte, error) {
	switch x := v.get(name).(type) {
	case nil:
		return nil, nil
	case []byte:
		return x, nil
	case string:
		if !v.json {
			break
		}
		b, err := base64.StdEncoding.DecodeString(x)
		if err != nil {
			return nil, v.errf(name, "base64: %v", err)
		}
		return b, nil
	case []any: // JSON array of byte values, as some writers emit
		if !v.json {
			break
		}
		b := make([]byte, len(x))
		for i, e := range x {
			n, ok := e.(int64)
			if !ok || n < 0 || n > 255 {
				return nil, v.errf(name, "[%d]: %v is not a byte", i, e)
			}
			b[i] = byte(n)
		}
		return b, nil
	}
	return nil, v.errf(name, "got %T, want bytes", v.get(name))
}

func (v view) sub(name string) (view, bool, error) {
	switch x := v.get(name).(type) {
	case nil:
		return view{}, false, nil
	case *formats.Record:
		return view{r: x, path: v.path + "." + name, json: v.json}, true, nil
	default:
		return view{}, false, v.errf(name, "got %T, want object", x)
	}
}

func (v view) list(name string) ([]any, error) {
	switch x := v.get(name).(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	default:
		return nil, v.errf(name, "got %T, want list", x)
	}
}

func (v view) floats(name string) ([]float64, error) {
	switch x := v.get(name).(type) {
	case nil:
		return nil, nil
	case []float64:
		return x, nil
	case []int64:
		out := make([]float64, len(x))
		for i, n := range x {
			out[i] = float64(n)
		}
		return out, nil
	case []uint64:
		out := make([]float64, len(x))
		for i, n := range x {
			out[i] = float64(n)
		}
		return out, nil
	case []any:
		out := make([]float64, len(x))
		for i, e := range x {
			f, ok := toFloat(e)
			if !ok {
				return nil, v.errf(name, "[%d]: got %T, want number", i, e)
			}
			out[i] = f
		}
		return out, nil
	default:
		return nil, v.errf(name, "got %T, want list of numbers", x)
	}
}

// fixed reads a list of exactly len(dst) numbers into dst; an absent or
// empty list leaves dst zero.
func (v view) fixed(name string, dst []float64) error {
	f, err := v.floats(name)
	if err != nil {
		return err
	}
	if len(f) == 0 {
		return nil
	}
	if len(f) != len(dst) {
		return v.errf(name, "has %d elements, want %d", len(f), len(dst))
	}
	copy(dst, f)
	return nil
}

// stamp reads the timestamp field: protobuf google.protobuf.Timestamp
// {seconds, nanos}, JSON {"sec", "nsec"} (or {"seconds", "nanos"}), or an
// RFC 3339 string as protojson writes it.
func (v view) stamp() (int64, bool, error) {
	const name = "timestamp"
	if s, ok := v.get(name).(string); ok && v.json {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, false, v.errf(name, "%v", err)
		}
		return t.UnixNano(), true, nil
	}
	t, ok, err := v.sub(name)
	if err != nil || !ok {
		return 0, false, err
	}
	secName, nsecName := "seconds", "nanos"
	if v.json && (t.has("sec") || t.has("nsec")) {
		secName, nsecName = "sec", "nsec"
	}
	sec, err := t.int(secName, math.MinInt64/int64(time.Second), math.MaxInt64/int64(time.Second))
	if err != nil {
		return 0, false, err
	}
	nsec, err := t.int(nsecName, math.MinInt32, math.MaxUint32)
	if err != nil {
		return 0, false, err
	}
	ns := sec * int64(time.Second) // cannot overflow: |sec| ≤ MaxInt64/1e9
	if (nsec > 0 && ns > math.MaxInt64-nsec) || (nsec < 0 && ns < math.MinInt64-nsec) {
		return 0, false, t.errf(nsecName, "%d s + %d ns overflows int64 nanoseconds", sec, nsec)
	}
	return ns + nsec, true, nil
}

func (v view) vec(name string) (r3.Vec, error) {
	s, _, err := v.sub(name)
	if err != nil {
		return r3.Vec{}, err
	}
	var out r3.Vec
	if out.X, err = s.float("x"); err != nil {
		return out, err
	}
	if out.Y, err = s.float("y"); err != nil {
		return out, err
	}
	out.Z, err = s.float("z")
	return out, err
}

// quat reads an x,y,z,w quaternion; an absent one is identity.
func (v view) quat(name string) (quat.Number, bool, error) {
	s, ok, err := v.sub(name)
	if err != nil || !ok {
		return quat.Number{Real: 1}, false, err
	}
	var q quat.Number
	if q.Imag, err = s.float("x"); err != nil {
		return q, true, err
	}
	if q.Jmag, err = s.float("y"); err != nil {
		return q, true, err
	}
	if q.Kmag, err = s.float("z"); err != nil {
		return q, true, err
	}
	q.Real, err = s.float("w")
	return q, true, err
}

func (v view) pose(name string) (formats.Pose, bool, error) {
	s, ok, err := v.sub(name)
	if err != nil || !ok {
		return formats.Pose{Orientation: quat.Number{Real: 1}}, false, err
	}
	var p formats.Pose
	if p.Position, err = s.vec("position"); err != nil {
		return p, true, err
	}
	p.Orientation, _, err = s.quat("orientation")
	return p, true, err
}

// kind identifies the typed path of a schema.
type kind uint8

const (
	kindGeneric kind = iota
	kindCompressedImage
	kindRawImage
	kindPointCloud
	kindFrameTransform
	kindFrameTransforms
	kindCameraCalibration
	kindLocationFix
	kindPoseInFrame
	kindCompressedVideo
)

func kindOf(schemaName string) kind {
	switch schemaName {
	case "foxglove.CompressedImage":
		return kindCompressedImage
	case "foxglove.RawImage":
		return kindRawImage
	case "foxglove.PointCloud":
		return kindPointCloud
	case "foxglove.FrameTransform":
		return kindFrameTransform
	case "foxglove.FrameTransforms":
		return kindFrameTransforms
	case "foxglove.CameraCalibration":
		return kindCameraCalibration
	case "foxglove.LocationFix":
		return kindLocationFix
	case "foxglove.PoseInFrame":
		return kindPoseInFrame
	case "foxglove.CompressedVideo":
		return kindCompressedVideo
	}
	return kindGeneric
}

// frameField is the field that gives Decoded.FrameID for kind k ("" for
// none).
func frameField(k kind) string {
	switch k {
	case kindFrameTransforms:
		return ""
	case kindFrameTransform:
		return "parent_frame_id"
	}
	return "frame_id"
}

// header extracts the stamp and frame id of kind k from a decoded record
// (errors only for typed kinds: for generic messages they are best effort).
func header(k kind, v view) (formats.Decoded, error) {
	var d formats.Decoded
	var err error
	if k != kindFrameTransforms {
		if d.Stamp, d.HasStamp, err = v.stamp(); err != nil && k != kindGeneric {
			return d, err
		}
		if d.FrameID, err = v.str(frameField(k)); err != nil && k != kindGeneric {
			return d, err
		}
	}
	if k == kindGeneric && !d.HasStamp {
		d.Stamp = 0
	}
	return d, nil
}

// typed extracts the typed payload of kind k from a decoded record.
func typed(k kind, v view) (formats.Decoded, error) {
	d, err := header(k, v)
	if err != nil {
		return d, err
	}
	switch k {
	case kindCompressedImage:
		d.Payload, err = compressedImage(v)
	case kindCompressedVideo:
		d.Payload, err = compressedVideo(v)
	case kindRawImage:
		d.Payload, err = rawImage(v)
	case kindPointCloud:
		d.Payload, err = pointCloud(v)
	case kindFrameTransform:
		var t formats.Transform
		if t, err = frameTransform(v); err == nil {
			d.Payload = &formats.Transforms{Transforms: []formats.Transform{t}}
		}
	case kindFrameTransforms:
		d.Payload, err = frameTransforms(v)
	case kindCameraCalibration:
		d.Payload, err = cameraCalibration(v)
	case kindLocationFix:
		d.Payload, err = locationFix(v)
	case kindPoseInFrame:
		var p formats.Pose
		if p, _, err = v.pose("pose"); err == nil {
			d.Payload = &formats.PoseStamped{Pose: p}
		}
	default:
		// Generic: stamp and frame id are best effort (see header).
		d.Payload = &formats.Generic{Value: v.r}
	}
	if err != nil {
		return formats.Decoded{}, err
	}
	return d, nil
}

func compressedImage(v view) (*formats.CompressedImage, error) {
	var img formats.CompressedImage
	var err error
	if img.Format, err = v.str("format"); err != nil {
		return nil, err
	}
	if img.Data, err = v.bytes("data"); err != nil {
		return nil, err
	}
	return &img, nil
}

// compressedVideo reads a foxglove.CompressedVideo. The schema has no
// keyframe field: Keyframe is true when the Annex B access unit holds an
// IDR (h264) or IRAP (h265) slice. Data of any other format is passed
// through with Keyframe false.
func compressedVideo(v view) (*formats.CompressedVideo, error) {
	var cv formats.CompressedVideo
	var err error
	if cv.Format, err = v.str("format"); err != nil {
		return nil, err
	}
	if cv.Data, err = v.bytes("data"); err != nil {
		return nil, err
	}
	cv.Keyframe = annexb.Inspect(cv.Format, cv.Data).Keyframe
	return &cv, nil
}

func rawImage(v view) (*formats.Image, error) {
	var img formats.Image
	w, err := v.int("width", 0, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	h, err := v.int("height", 0, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	step, err := v.int("step", 0, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	img.Width, img.Height, img.Step = int(w), int(h), int(step)
	if img.Encoding, err = v.str("encoding"); err != nil {
		return nil, err
	}
	if img.Data, err = v.bytes("data"); err != nil {
		return nil, err
	}
	// Readers index Data by Step and Height: make sure it holds them.
	if need := uint64(h) * uint64(step); need > uint64(len(img.Data)) {
		return nil, v.errf("data", "has %d bytes, step %d × height %d needs %d", len(img.Data), step, h, need)
	}
	return &img, nil
}

// numericTypes maps foxglove PackedElementField.NumericType (index) to the
// sensor_msgs/PointField numbering of formats.PointType.
var numericTypes = [...]formats.PointType{
	0,                    // UNKNOWN
	formats.PointUint8,   // UINT8 = 1
	formats.PointInt8,    // INT8 = 2
	formats.PointUint16,  // UINT16 = 3
	formats.PointInt16,   // INT16 = 4
	formats.PointUint32,  // UINT32 = 5
	formats.PointInt32,   // INT32 = 6
	formats.PointFloat32, // FLOAT32 = 7
	formats.PointFloat64, // FLOAT64 = 8
}

var numericTypeNames = [...]string{"UNKNOWN", "UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "FLOAT64"}

// numericType is the foxglove NumericType of a formats.PointType.
func numericType(t formats.PointType) (int64, bool) {
	for i, p := range numericTypes {
		if i > 0 && p == t {
			return int64(i), true
		}
	}
	return 0, false
}

func pointCloud(v view) (*formats.PointCloud, error) {
	p, ok, err := v.pose("pose")
	if err != nil {
		return nil, err
	}
	if ok && !isIdentity(p) {
		return nil, fmt.Errorf("%w: %s.pose position %v orientation %v", ErrCloudPose, v.path, p.Position, p.Orientation)
	}
	stride, err := v.int("point_stride", 0, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	pc := &formats.PointCloud{PointStep: int(stride), Height: 1}
	if pc.Data, err = v.bytes("data"); err != nil {
		return nil, err
	}
	if stride == 0 {
		if len(pc.Data) > 0 {
			return nil, v.errf("point_stride", "is 0 with %d data bytes", len(pc.Data))
		}
	} else {
		if len(pc.Data)%int(stride) != 0 {
			return nil, v.errf("data", "length %d is not a multiple of point_stride %d", len(pc.Data), stride)
		}
		pc.Width = len(pc.Data) / int(stride)
	}
	pc.RowStep = pc.Width * pc.PointStep
	fields, err := v.list("fields")
	if err != nil {
		return nil, err
	}
	pc.Fields = make([]formats.PointField, 0, len(fields))
	for i, e := range fields {
		r, ok := e.(*formats.Record)
		if !ok {
			return nil, v.errf(fmt.Sprintf("fields[%d]", i), "got %T, want object", e)
		}
		fv := view{r: r, path: fmt.Sprintf("%s.fields[%d]", v.path, i), json: v.json}
		var f formats.PointField
		if f.Name, err = fv.str("name"); err != nil {
			return nil, err
		}
		off, err := fv.int("offset", 0, math.MaxUint32)
		if err != nil {
			return nil, err
		}
		var t int64
		if s, ok := fv.get("type").(string); ok && v.json { // enum by name
			t = -1
			for j, n := range numericTypeNames {
				if n == s {
					t = int64(j)
				}
			}
		} else if t, err = fv.int("type", math.MinInt32, math.MaxInt32); err != nil {
			return nil, err
		}
		if t <= 0 || t >= int64(len(numericTypes)) {
			return nil, fv.errf("type", "numeric type %v of field %q is not UINT8..FLOAT64 (1..8)", fv.get("type"), f.Name)
		}
		f.Offset, f.Type, f.Count = int(off), numericTypes[t], 1
		pc.Fields = append(pc.Fields, f)
	}
	return pc, nil
}

// isIdentity reports whether p is the identity pose. A zero quaternion,
// which proto3 writes for an unset orientation, counts as identity.
func isIdentity(p formats.Pose) bool {
	q := p.Orientation
	rot := q.Imag == 0 && q.Jmag == 0 && q.Kmag == 0 && (q.Real == 1 || q.Real == -1 || q.Real == 0)
	return rot && p.Position == (r3.Vec{})
}

func frameTransform(v view) (formats.Transform, error) {
	var t formats.Transform
	var err error
	if t.Stamp, _, err = v.stamp(); err != nil {
		return t, err
	}
	if t.Parent, err = v.str("parent_frame_id"); err != nil {
		return t, err
	}
	if t.Child, err = v.str("child_frame_id"); err != nil {
		return t, err
	}
	if t.Translation, err = v.vec("translation"); err != nil {
		return t, err
	}
	t.Rotation, _, err = v.quat("rotation")
	return t, err
}

func frameTransforms(v view) (*formats.Transforms, error) {
	l, err := v.list("transforms")
	if err != nil {
		return nil, err
	}
	out := &formats.Transforms{Transforms: make([]formats.Transform, 0, len(l))}
	for i, e := range l {
		r, ok := e.(*formats.Record)
		if !ok {
			return nil, v.errf(fmt.Sprintf("transforms[%d]", i), "got %T, want object", e)
		}
		t, err := frameTransform(view{r: r, path: fmt.Sprintf("%s.transforms[%d]", v.path, i), json: v.json})
		if err != nil {
			return nil, err
		}
		out.Transforms = append(out.Transforms, t)
	}
	return out, nil
}

func cameraCalibration(v view) (*formats.CameraInfo, error) {
	var c formats.CameraInfo
	w, err := v.int("width", 0, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	h, err := v.int("height", 0, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	c.Width, c.Height = int(w), int(h)
	if c.DistortionModel, err = v.str("distortion_model"); err != nil {
		return nil, err
	}
	if c.D, err = v.floats("D"); err != nil {
		return nil, err
	}
	if len(c.D) == 0 {
		c.D = nil
	}
	if err := v.fixed("K", c.K[:]); err != nil {
		return nil, err
	}
	if err := v.fixed("R", c.R[:]); err != nil {
		return nil, err
	}
	if err := v.fixed("P", c.P[:]); err != nil {
		return nil, err
	}
	return &c, nil
}

func locationFix(v view) (*formats.GNSS, error) {
	var g formats.GNSS
	var err error
	if g.Latitude, err = v.float("latitude"); err != nil {
		return nil, err
	}
	if g.Longitude, err = v.float("longitude"); err != nil {
		return nil, err
	}
	if g.Altitude, err = v.float("altitude"); err != nil {
		return nil, err
	}
	if err := v.fixed("position_covariance", g.PositionCovariance[:]); err != nil {
		return nil, err
	}
	if s, ok := v.get("position_covariance_type").(string); ok && v.json {
		g.CovarianceType = -1
		for i, n := range []string{"UNKNOWN", "APPROXIMATED", "DIAGONAL_KNOWN", "KNOWN"} {
			if strings.EqualFold(n, s) {
				g.CovarianceType = i
			}
		}
		if g.CovarianceType < 0 {
			return nil, v.errf("position_covariance_type", "unknown value %q", s)
		}
	} else {
		t, err := v.int("position_covariance_type", math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		g.CovarianceType = int(t)
	}
	return &g, nil
}

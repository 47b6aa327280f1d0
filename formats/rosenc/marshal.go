package rosenc

import (
	"fmt"
	"math"
	"strings"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// The ROS 2 types Marshal encodes, in pkg/msg/Type form.
const (
	TypeCompressedImage = "sensor_msgs/msg/CompressedImage"
	TypeImage           = "sensor_msgs/msg/Image"
	TypePointCloud2     = "sensor_msgs/msg/PointCloud2"
	TypeImu             = "sensor_msgs/msg/Imu"
	TypeCameraInfo      = "sensor_msgs/msg/CameraInfo"
	TypeNavSatFix       = "sensor_msgs/msg/NavSatFix"
	TypeTFMessage       = "tf2_msgs/msg/TFMessage"
	TypeOdometry        = "nav_msgs/msg/Odometry"
	TypePoseStamped     = "geometry_msgs/msg/PoseStamped"
	TypeRadarScan       = "radar_msgs/msg/RadarScan"
)

// Types lists the types Marshal accepts, each with the payload it takes:
//
//	sensor_msgs/msg/CompressedImage  *formats.CompressedImage
//	sensor_msgs/msg/Image            *formats.Image
//	sensor_msgs/msg/PointCloud2      *formats.PointCloud (see PackPoints, PackRadar)
//	sensor_msgs/msg/Imu              *formats.IMU
//	sensor_msgs/msg/CameraInfo       *formats.CameraInfo
//	sensor_msgs/msg/NavSatFix        *formats.GNSS
//	tf2_msgs/msg/TFMessage           *formats.Transforms
//	nav_msgs/msg/Odometry            *formats.Odometry
//	geometry_msgs/msg/PoseStamped    *formats.PoseStamped
//	radar_msgs/msg/RadarScan         *formats.RadarScan
func Types() []string {
	return []string{TypeCompressedImage, TypeImage, TypePointCloud2, TypeImu, TypeCameraInfo,
		TypeNavSatFix, TypeTFMessage, TypeOdometry, TypePoseStamped, TypeRadarScan}
}

// sizeHint is an upper estimate of the encoded size of p, so that Marshal
// allocates its buffer once.
func sizeHint(frameID string, p formats.Payload) int {
	n := 64 + len(frameID)
	switch m := p.(type) {
	case *formats.CompressedImage:
		if m != nil {
			n += len(m.Format) + len(m.Data)
		}
	case *formats.Image:
		if m != nil {
			n += len(m.Encoding) + len(m.Data)
		}
	case *formats.PointCloud:
		if m != nil {
			n += len(m.Data)
			for _, f := range m.Fields {
				n += 40 + len(f.Name)
			}
		}
	case *formats.IMU:
		n += 320
	case *formats.CameraInfo:
		if m != nil {
			n += 300 + len(m.DistortionModel) + 8*len(m.D)
		}
	case *formats.GNSS:
		n += 128
	case *formats.Transforms:
		if m != nil {
			for _, t := range m.Transforms {
				n += 96 + len(t.Parent) + len(t.Child)
			}
		}
	case *formats.Odometry:
		if m != nil {
			n += 700 + len(m.ChildFrame)
		}
	case *formats.PoseStamped:
		n += 64
	case *formats.RadarScan:
		if m != nil {
			n += 20 * m.Len()
		}
	}
	return n
}

// marshalTypes maps both spellings (pkg/msg/Type, pkg/Type) of each
// Marshal type to pkg/msg/Type; looking it up does not allocate.
var marshalTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range Types() {
		m[t] = t
		m[strings.Replace(t, "/msg/", "/", 1)] = t
	}
	return m
}()

// TypeOf returns the ROS 2 type Marshal writes a payload as by default
// (pkg/msg/Type), or "" for a payload it cannot write.
func TypeOf(p formats.Payload) string {
	switch p.(type) {
	case *formats.CompressedImage:
		return TypeCompressedImage
	case *formats.Image:
		return TypeImage
	case *formats.PointCloud:
		return TypePointCloud2
	case *formats.IMU:
		return TypeImu
	case *formats.CameraInfo:
		return TypeCameraInfo
	case *formats.GNSS:
		return TypeNavSatFix
	case *formats.Transforms:
		return TypeTFMessage
	case *formats.Odometry:
		return TypeOdometry
	case *formats.PoseStamped:
		return TypePoseStamped
	case *formats.RadarScan:
		return TypeRadarScan
	}
	return ""
}

// Marshal encodes p as the ROS 2 message typeName (pkg/msg/Type or
// pkg/Type; see Types) with header stamp stamp (ns) and header frame id
// frameID, and returns a new CDR payload. tf2_msgs/msg/TFMessage has no
// header: stamp and frameID are ignored and each transform carries its own.
//
// To encode many messages without allocating, reuse an Encoder and call
// Encode.
func Marshal(typeName string, stamp int64, frameID string, p formats.Payload) ([]byte, error) {
	e := Encoder{buf: make([]byte, 0, sizeHint(frameID, p))}
	if err := e.Encode(typeName, stamp, frameID, p); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Encode resets e and encodes one message like Marshal. The payload is
// e.Bytes(), valid until the next Reset or Encode.
func (e *Encoder) Encode(typeName string, stamp int64, frameID string, p formats.Payload) error {
	e.Reset()
	name, ok := marshalTypes[typeName]
	if !ok {
		return fmt.Errorf("%w %q: Marshal writes %v", ErrUnknownType, typeName, Types())
	}
	if p == nil {
		return fmt.Errorf("rosenc: %s: nil payload", name)
	}
	switch name {
	case TypeCompressedImage:
		if m, ok := p.(*formats.CompressedImage); ok && m != nil {
			e.header(stamp, frameID)
			e.String(m.Format)
			e.Uint8Seq(m.Data)
			return e.finish(name)
		}
	case TypeImage:
		if m, ok := p.(*formats.Image); ok && m != nil {
			return e.done(name, e.image(stamp, frameID, m))
		}
	case TypePointCloud2:
		if m, ok := p.(*formats.PointCloud); ok && m != nil {
			return e.done(name, e.pointCloud(stamp, frameID, m))
		}
	case TypeImu:
		if m, ok := p.(*formats.IMU); ok && m != nil {
			e.header(stamp, frameID)
			e.quaternion(m.Orientation)
			e.Float64Array(m.OrientationCovariance[:])
			e.vector3(m.AngularVelocity)
			e.Float64Array(m.AngularVelocityCovariance[:])
			e.vector3(m.LinearAcceleration)
			e.Float64Array(m.LinearAccelerationCovariance[:])
			return e.finish(name)
		}
	case TypeCameraInfo:
		if m, ok := p.(*formats.CameraInfo); ok && m != nil {
			return e.done(name, e.cameraInfo(stamp, frameID, m))
		}
	case TypeNavSatFix:
		if m, ok := p.(*formats.GNSS); ok && m != nil {
			return e.done(name, e.navSatFix(stamp, frameID, m))
		}
	case TypeTFMessage:
		if m, ok := p.(*formats.Transforms); ok && m != nil {
			e.SeqLen(len(m.Transforms))
			for i := range m.Transforms {
				t := &m.Transforms[i]
				e.header(t.Stamp, t.Parent)
				e.String(t.Child)
				e.vector3(t.Translation)
				e.quaternion(t.Rotation)
			}
			return e.finish(name)
		}
	case TypeOdometry:
		if m, ok := p.(*formats.Odometry); ok && m != nil {
			e.header(stamp, frameID)
			e.String(m.ChildFrame)
			e.pose(m.Pose)
			e.Float64Array(m.PoseCovariance[:])
			e.vector3(m.LinearVelocity)
			e.vector3(m.AngularVelocity)
			e.Float64Array(m.TwistCovariance[:])
			return e.finish(name)
		}
	case TypePoseStamped:
		if m, ok := p.(*formats.PoseStamped); ok && m != nil {
			e.header(stamp, frameID)
			e.pose(m.Pose)
			return e.finish(name)
		}
	case TypeRadarScan:
		if m, ok := p.(*formats.RadarScan); ok && m != nil {
			return e.done(name, e.radarScan(stamp, frameID, m))
		}
	}
	return fmt.Errorf("rosenc: %s cannot be written from a %T payload (want %s)", name, p, wantPayload(name))
}

func wantPayload(name string) string {
	switch name {
	case TypeCompressedImage:
		return "*formats.CompressedImage"
	case TypeImage:
		return "*formats.Image"
	case TypePointCloud2:
		return "*formats.PointCloud"
	case TypeImu:
		return "*formats.IMU"
	case TypeCameraInfo:
		return "*formats.CameraInfo"
	case TypeNavSatFix:
		return "*formats.GNSS"
	case TypeTFMessage:
		return "*formats.Transforms"
	case TypeOdometry:
		return "*formats.Odometry"
	case TypePoseStamped:
		return "*formats.PoseStamped"
	case TypeRadarScan:
		return "*formats.RadarScan"
	}
	return "?"
}

// done returns err, or the encoder's own error, prefixed with the type.
func (e *Encoder) done(name string, err error) error {
	if err != nil {
		return fmt.Errorf("rosenc: %s: %w", name, err)
	}
	return e.finish(name)
}

// finish reports an unrepresentable value seen while encoding.
func (e *Encoder) finish(name string) error {
	if e.err != nil {
		return fmt.Errorf("rosenc: %s: %w", name, e.err)
	}
	return nil
}

// header writes std_msgs/Header: builtin_interfaces/Time stamp, string frame_id.
func (e *Encoder) header(stamp int64, frameID string) {
	e.Time(stamp)
	e.String(frameID)
}

// quaternion writes geometry_msgs/Quaternion in wire order x, y, z, w.
func (e *Encoder) quaternion(q quat.Number) {
	e.Float64(q.Imag)
	e.Float64(q.Jmag)
	e.Float64(q.Kmag)
	e.Float64(q.Real)
}

// vector3 writes geometry_msgs/Vector3 (or Point): x, y, z.
func (e *Encoder) vector3(v r3.Vec) {
	e.Float64(v.X)
	e.Float64(v.Y)
	e.Float64(v.Z)
}

// pose writes geometry_msgs/Pose: Point position, Quaternion orientation.
func (e *Encoder) pose(p formats.Pose) {
	e.vector3(p.Position)
	e.quaternion(p.Orientation)
}

// fieldCheck validates the fields of one payload before any of it is
// written. It keeps the first failure, naming the field (a sticky error,
// as bufio.Scanner keeps its first): every check after it is a no-op that
// returns the zero value, so a caller checks err once, after the last field.
type fieldCheck struct{ err error }

// failf records a failure unless there is one already.
func (c *fieldCheck) failf(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// uint32 converts a non-negative int to uint32 or records the field.
func (c *fieldCheck) uint32(field string, v int) uint32 {
	if c.err != nil {
		return 0
	}
	if v < 0 || uint64(v) > math.MaxUint32 {
		c.failf("%s %d does not fit a uint32", field, v)
		return 0
	}
	return uint32(v)
}

// column records a radar column that is present (or required) without
// exactly n values.
func (c *fieldCheck) column(name string, v []float32, required bool, n int) {
	if (v != nil || required) && len(v) != n {
		c.failf("column %s has %d values, want %d", name, len(v), n)
	}
}

func (e *Encoder) image(stamp int64, frameID string, m *formats.Image) error {
	var c fieldCheck
	h, w, step := c.uint32("height", m.Height), c.uint32("width", m.Width), c.uint32("step", m.Step)
	if need := uint64(step) * uint64(h); uint64(len(m.Data)) < need {
		c.failf("data has %d bytes, step %d × height %d needs %d", len(m.Data), step, h, need)
	}
	if c.err != nil {
		return c.err
	}
	e.header(stamp, frameID)
	e.Uint32(h)
	e.Uint32(w)
	e.String(m.Encoding)
	e.Bool(m.BigEndian)
	e.Uint32(step)
	e.Uint8Seq(m.Data)
	return nil
}

func (e *Encoder) pointCloud(stamp int64, frameID string, m *formats.PointCloud) error {
	var c fieldCheck
	h, w, step := c.uint32("height", m.Height), c.uint32("width", m.Width), c.uint32("point_step", m.PointStep)
	rowStep := m.RowStep
	if rowStep == 0 {
		rowStep = m.Width * m.PointStep
	}
	rs := c.uint32("row_step", rowStep)
	if uint64(rs) < uint64(w)*uint64(step) {
		c.failf("row_step %d is shorter than width %d × point_step %d", rs, w, step)
	}
	if need := uint64(rs) * uint64(h); uint64(len(m.Data)) < need {
		c.failf("data has %d bytes, row_step %d × height %d needs %d", len(m.Data), rs, h, need)
	}
	for i, f := range m.Fields {
		if c.err != nil {
			break
		}
		sz, count := f.Type.Size(), max(f.Count, 1)
		if sz == 0 {
			c.failf("fields[%d] %q: unknown datatype %d", i, f.Name, f.Type)
		} else if f.Offset < 0 || f.Count < 0 || uint64(f.Offset)+uint64(count)*uint64(sz) > uint64(step) {
			c.failf("fields[%d] %q: offset %d count %d does not fit point_step %d", i, f.Name, f.Offset, f.Count, step)
		}
	}
	if c.err != nil {
		return c.err
	}
	e.Grow(64 + 32*len(m.Fields) + len(frameID) + len(m.Data))
	e.header(stamp, frameID)
	e.Uint32(h)
	e.Uint32(w)
	e.SeqLen(len(m.Fields))
	for _, f := range m.Fields {
		e.String(f.Name)
		e.Uint32(uint32(f.Offset))
		e.Uint8(uint8(f.Type))
		e.Uint32(uint32(f.Count))
	}
	e.Bool(m.BigEndian)
	e.Uint32(step)
	e.Uint32(rs)
	e.Uint8Seq(m.Data[:uint64(rs)*uint64(h)])
	e.Bool(m.Dense)
	return nil
}

func (e *Encoder) cameraInfo(stamp int64, frameID string, m *formats.CameraInfo) error {
	var c fieldCheck
	h, w := c.uint32("height", m.Height), c.uint32("width", m.Width)
	bx, by := c.uint32("binning_x", m.BinningX), c.uint32("binning_y", m.BinningY)
	if c.err != nil {
		return c.err
	}
	e.header(stamp, frameID)
	e.Uint32(h)
	e.Uint32(w)
	e.String(m.DistortionModel)
	e.Float64Seq(m.D)
	e.Float64Array(m.K[:])
	e.Float64Array(m.R[:])
	e.Float64Array(m.P[:])
	e.Uint32(bx)
	e.Uint32(by)
	// roi: x_offset, y_offset, height, width, do_rectify. formats.CameraInfo
	// has no ROI; the zero ROI means "full resolution".
	e.Uint32(0)
	e.Uint32(0)
	e.Uint32(0)
	e.Uint32(0)
	e.Bool(false)
	return nil
}

func (e *Encoder) navSatFix(stamp int64, frameID string, m *formats.GNSS) error {
	if m.Status < math.MinInt8 || m.Status > math.MaxInt8 {
		return fmt.Errorf("status %d does not fit an int8", m.Status)
	}
	if m.CovarianceType < 0 || m.CovarianceType > math.MaxUint8 {
		return fmt.Errorf("position_covariance_type %d does not fit a uint8", m.CovarianceType)
	}
	e.header(stamp, frameID)
	// NavSatStatus: int8 status, uint16 service. formats.GNSS has no
	// service bitfield: write SERVICE_GPS (1), the common single-system case.
	e.Int8(int8(m.Status))
	e.Uint16(1)
	e.Float64(m.Latitude)
	e.Float64(m.Longitude)
	e.Float64(m.Altitude)
	e.Float64Array(m.PositionCovariance[:])
	e.Uint8(uint8(m.CovarianceType))
	return nil
}

func (e *Encoder) radarScan(stamp int64, frameID string, m *formats.RadarScan) error {
	n := m.Len()
	polar := len(m.Range) > 0
	var c fieldCheck
	if polar {
		c.column("Range", m.Range, true, n)
		c.column("Azimuth", m.Azimuth, true, n)
		c.column("Elevation", m.Elevation, false, n)
	} else {
		c.column("X", m.X, true, n)
		c.column("Y", m.Y, true, n)
		c.column("Z", m.Z, false, n)
	}
	c.column("Doppler", m.Doppler, false, n)
	c.column("RCS", m.RCS, false, n)
	if c.err != nil {
		return c.err
	}
	e.Grow(64 + len(frameID) + 20*n)
	e.header(stamp, frameID)
	e.SeqLen(n)
	for i := range n {
		var rng, az, el float32
		if polar {
			rng, az = m.Range[i], m.Azimuth[i]
			if m.Elevation != nil {
				el = m.Elevation[i]
			}
		} else {
			var z float32
			if m.Z != nil {
				z = m.Z[i]
			}
			rng, az, el = toPolar(m.X[i], m.Y[i], z)
		}
		e.Float32(rng)
		e.Float32(az)
		e.Float32(el)
		e.Float32(at(m.Doppler, i))
		e.Float32(at(m.RCS, i))
	}
	return nil
}

// at is v[i], or 0 when the optional column v is absent.
func at(v []float32, i int) float32 {
	if i < len(v) {
		return v[i]
	}
	return 0
}

// toPolar converts a sensor-frame point to range, azimuth (from +x towards
// +y) and elevation (above the xy plane), as REP-103 and RadarReturn define.
func toPolar(x, y, z float32) (rng, az, el float32) {
	fx, fy, fz := float64(x), float64(y), float64(z)
	h := math.Hypot(fx, fy)
	return float32(math.Hypot(h, fz)), float32(math.Atan2(fy, fx)), float32(math.Atan2(fz, h))
}

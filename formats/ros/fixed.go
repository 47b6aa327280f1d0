package ros

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/msgdef"
)

// Fixed-layout fast paths.
//
// The typed paths (typed.go) find their fields by name through a
// projection walk, which works for any vendor variant of a type but costs
// a few hundred ns per message: on small, frequent messages (Imu at 100 to
// 400 Hz) that is more than reading the message from the log. For the
// common types whose wire layout after the header is fixed, a channel whose
// compiled schema is exactly the upstream field list (names, kinds, array
// lengths and nesting: see layoutSig; never the type name alone) decodes
// with straight-line reads instead. The fast path takes only the plain,
// well-formed case; anything else (a short or padded payload, an
// encapsulation kind it does not know) makes it decline, and Decode runs
// the typed path, which decodes the message or names what is wrong with
// it. Both paths give the same Decoded: TestFixedMatchesTyped checks it on
// every message of the real logs and the fixture logs, FuzzFixed on
// arbitrary bytes.
//
// Wire rules (see doc.go): CDR after a 4-byte encapsulation header with
// the alignment origin at offset 4, 8-byte values aligned to 8 (XCDR1) or 4
// (XCDR2), either endianness, strings with a NUL-inclusive length, up to 3
// trailing pad bytes; ROS 1 little-endian, unaligned, strings without NUL,
// a Header that starts with uint32 seq and a time stamp.

// fixedPath decodes one message with straight-line reads, or declines
// (ok false) so that the typed path decodes it. With headerOnly it
// checks the whole message the same way but returns only the stamp and
// frame id (DecodeHeader), allocating no payload.
type fixedPath func(d *Decoder, data []byte, headerOnly bool) (out formats.Decoded, ok bool)

// fixedPaths lists the fast paths per normalized type name, each with the
// field lists it accepts (one per dialect).
var fixedPaths = map[string]struct {
	ros2, ros1 string
	path       fixedPath
}{
	"sensor_msgs/Imu":       {sigImu2, sigImu1, (*Decoder).fixedImu},
	"nav_msgs/Odometry":     {sigOdom2, sigOdom1, (*Decoder).fixedOdometry},
	"sensor_msgs/NavSatFix": {sigNavSat2, sigNavSat1, (*Decoder).fixedNavSatFix},
}

// The upstream field lists (sensor_msgs, nav_msgs, geometry_msgs and
// std_msgs of ROS 2 rolling and ROS 1 noetic), as layoutSig writes them.
// TestFixedSignatures checks them against the .msg texts in
// ../shared/data/ros2msgs and the definitions recorded in the real ROS 1
// logs.
const (
	sigHeader2 = "header{stamp{sec:int32,nanosec:uint32},frame_id:string}"
	sigHeader1 = "header{seq:uint32,stamp:time,frame_id:string}"
	sigVec     = "{x:float64,y:float64,z:float64}"
	sigQuat    = "{x:float64,y:float64,z:float64,w:float64}"
	sigImuBody = ",orientation" + sigQuat + ",orientation_covariance[9]:float64" +
		",angular_velocity" + sigVec + ",angular_velocity_covariance[9]:float64" +
		",linear_acceleration" + sigVec + ",linear_acceleration_covariance[9]:float64"
	sigImu2     = sigHeader2 + sigImuBody
	sigImu1     = sigHeader1 + sigImuBody
	sigOdomBody = ",child_frame_id:string" +
		",pose{pose{position" + sigVec + ",orientation" + sigQuat + "},covariance[36]:float64}" +
		",twist{twist{linear" + sigVec + ",angular" + sigVec + "},covariance[36]:float64}"
	sigOdom2      = sigHeader2 + sigOdomBody
	sigOdom1      = sigHeader1 + sigOdomBody
	sigNavSatBody = ",status{status:int8,service:uint16},latitude:float64,longitude:float64,altitude:float64" +
		",position_covariance[9]:float64,position_covariance_type:uint8"
	sigNavSat2 = sigHeader2 + sigNavSatBody
	sigNavSat1 = sigHeader1 + sigNavSatBody
)

// layoutSig writes the field list of a compiled type: name:kind per
// primitive field, name{...} per nested struct, [N] or [] (or [<=N]) for
// arrays. Type names of nested structs are left out (the layout and the
// field names are what the paths rely on); string bounds too (they do not
// change the wire).
func layoutSig(nd *node) string {
	var b strings.Builder
	writeSig(&b, nd)
	return b.String()
}

func writeSig(b *strings.Builder, nd *node) {
	for i := range nd.fields {
		f := &nd.fields[i]
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.name)
		switch f.arr {
		case msgdef.Fixed:
			b.WriteString("[" + strconv.Itoa(f.n) + "]")
		case msgdef.Sequence:
			b.WriteString("[]")
		}
		if f.sub != nil {
			b.WriteByte('{')
			writeSig(b, f.sub)
			b.WriteByte('}')
			continue
		}
		b.WriteByte(':')
		b.WriteString(f.kind.String())
	}
}

// fixedFor returns the fast path for a compiled schema, or nil.
func fixedFor(typeName string, root *node, cdr bool) fixedPath {
	fp, ok := fixedPaths[typeName]
	if !ok {
		return nil
	}
	want := fp.ros1
	if cdr {
		want = fp.ros2
	}
	if layoutSig(root) != want {
		return nil
	}
	return fp.path
}

// fixedReader reads a payload whose bounds the caller checks first.
type fixedReader struct {
	b      []byte
	off    int
	origin int
	be     bool
	// a2, a4 and a8 are the alignments of 2-, 4- and 8-byte values: 2, 4
	// and 8 in XCDR1; 2, 4 and 4 in XCDR2; 1 in ROS 1.
	a2, a4, a8 int
}

// fixedOpen checks and skips the CDR encapsulation header; it declines the
// kinds the typed path rejects or that need more than plain reads.
func (d *Decoder) fixedOpen(data []byte) (fixedReader, bool) {
	if !d.cdr {
		return fixedReader{b: data, a2: 1, a4: 1, a8: 1}, true
	}
	if len(data) < 4 || data[0] != 0 {
		return fixedReader{}, false
	}
	r := fixedReader{b: data, off: 4, origin: 4, be: data[1]&1 == 0, a2: 2, a4: 4}
	switch data[1] {
	case 0x00, 0x01:
		r.a8 = 8
	case 0x06, 0x07, 0x10, 0x11:
		r.a8 = 4
	default:
		return fixedReader{}, false
	}
	return r, true
}

func (r *fixedReader) u32(off int) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(r.b[off:])
	}
	return binary.LittleEndian.Uint32(r.b[off:])
}

func (r *fixedReader) u16(off int) uint16 {
	if r.be {
		return binary.BigEndian.Uint16(r.b[off:])
	}
	return binary.LittleEndian.Uint16(r.b[off:])
}

// floats reads len(dst) consecutive float64 values at off.
func (r *fixedReader) floats(off int, dst []float64) {
	b := r.b[off : off+8*len(dst)]
	if r.be {
		for i := range dst {
			dst[i] = math.Float64frombits(binary.BigEndian.Uint64(b[:8]))
			b = b[8:]
		}
		return
	}
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[:8]))
		b = b[8:]
	}
}

// align skips the padding to a multiple of a (a power of two) from the
// origin; false when the padding is not there.
func (r *fixedReader) align(a int) bool {
	r.off += -(r.off - r.origin) & (a - 1)
	return r.off <= len(r.b)
}

// str reads a string (its uint32 length aligned to 4) and returns its
// text, without the NUL in CDR.
func (r *fixedReader) str() ([]byte, bool) {
	if !r.align(r.a4) || len(r.b)-r.off < 4 {
		return nil, false
	}
	n := r.u32(r.off)
	r.off += 4
	if uint64(n) > uint64(len(r.b)-r.off) {
		return nil, false
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	if r.a8 != 1 && n > 0 && s[n-1] == 0 {
		s = s[:n-1]
	}
	return s, true
}

// header reads std_msgs/Header: the stamp in ns and the frame id.
func (r *fixedReader) header() (stamp int64, frame []byte, ok bool) {
	if r.a8 == 1 { // ROS 1: uint32 seq, time stamp (uint32 sec, nsec)
		if len(r.b) < 12 {
			return 0, nil, false
		}
		stamp = int64(r.u32(4))*1e9 + int64(r.u32(8))
		r.off = 12
	} else { // ROS 2: builtin_interfaces/Time (int32 sec, uint32 nanosec)
		if len(r.b)-r.off < 8 {
			return 0, nil, false
		}
		stamp = int64(int32(r.u32(r.off)))*1e9 + int64(r.u32(r.off+4))
		r.off += 8
	}
	frame, ok = r.str()
	return stamp, frame, ok
}

// floatsAt aligns for 8-byte values and returns the offset of n float64
// values, which must fit.
func (r *fixedReader) floatsAt(n int) (int, bool) {
	if !r.align(r.a8) || len(r.b)-r.off < 8*n {
		return 0, false
	}
	off := r.off
	r.off += 8 * n
	return off, true
}

// done reports whether what is left after the message is what the typed
// path accepts: nothing, or in CDR up to 3 pad bytes.
func (r *fixedReader) done() bool {
	left := len(r.b) - r.off
	return left == 0 || r.a8 != 1 && left <= 3
}

// f64 reads the float64 at off.
func (r *fixedReader) f64(off int) float64 {
	if r.be {
		return math.Float64frombits(binary.BigEndian.Uint64(r.b[off:]))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(r.b[off:]))
}

// vec reads geometry_msgs/Vector3 (or Point) at off.
func (r *fixedReader) vec(off int) r3.Vec {
	var v [3]float64
	r.floats(off, v[:])
	return r3.Vec{X: v[0], Y: v[1], Z: v[2]}
}

// quat reads geometry_msgs/Quaternion at off, converting the wire order
// x, y, z, w to gonum's w + xi + yj + zk.
func (r *fixedReader) quat(off int) quat.Number {
	var v [4]float64
	r.floats(off, v[:])
	return quat.Number{Real: v[3], Imag: v[0], Jmag: v[1], Kmag: v[2]}
}

func (d *Decoder) fixedImu(data []byte, headerOnly bool) (formats.Decoded, bool) {
	r, ok := d.fixedOpen(data)
	if !ok {
		return formats.Decoded{}, false
	}
	stamp, frame, ok := r.header()
	if !ok {
		return formats.Decoded{}, false
	}
	off, ok := r.floatsAt(37)
	if !ok || !r.done() {
		return formats.Decoded{}, false
	}
	if headerOnly {
		return formats.Decoded{HasStamp: true, Stamp: stamp, FrameID: d.frames[0].get(frame)}, true
	}
	m := new(formats.IMU)
	m.Orientation = r.quat(off)
	r.floats(off+32, m.OrientationCovariance[:])
	m.AngularVelocity = r.vec(off + 104)
	r.floats(off+128, m.AngularVelocityCovariance[:])
	m.LinearAcceleration = r.vec(off + 200)
	r.floats(off+224, m.LinearAccelerationCovariance[:])
	return formats.Decoded{HasStamp: true, Stamp: stamp, FrameID: d.frames[0].get(frame), Payload: m}, true
}

func (d *Decoder) fixedOdometry(data []byte, headerOnly bool) (formats.Decoded, bool) {
	r, ok := d.fixedOpen(data)
	if !ok {
		return formats.Decoded{}, false
	}
	stamp, frame, ok := r.header()
	if !ok {
		return formats.Decoded{}, false
	}
	child, ok := r.str()
	if !ok {
		return formats.Decoded{}, false
	}
	off, ok := r.floatsAt(85)
	if !ok || !r.done() {
		return formats.Decoded{}, false
	}
	if headerOnly {
		return formats.Decoded{HasStamp: true, Stamp: stamp, FrameID: d.frames[0].get(frame)}, true
	}
	m := new(formats.Odometry)
	m.ChildFrame = d.frames[1].get(child)
	m.Pose.Position = r.vec(off)
	m.Pose.Orientation = r.quat(off + 24)
	r.floats(off+56, m.PoseCovariance[:])
	m.LinearVelocity = r.vec(off + 344)
	m.AngularVelocity = r.vec(off + 368)
	r.floats(off+392, m.TwistCovariance[:])
	return formats.Decoded{HasStamp: true, Stamp: stamp, FrameID: d.frames[0].get(frame), Payload: m}, true
}

func (d *Decoder) fixedNavSatFix(data []byte, headerOnly bool) (formats.Decoded, bool) {
	r, ok := d.fixedOpen(data)
	if !ok {
		return formats.Decoded{}, false
	}
	stamp, frame, ok := r.header()
	if !ok || r.off >= len(r.b) {
		return formats.Decoded{}, false
	}
	status := int8(r.b[r.off]) // NavSatStatus.status
	r.off++
	if !r.align(r.a2) || len(r.b)-r.off < 2 { // NavSatStatus.service (uint16)
		return formats.Decoded{}, false
	}
	r.off += 2
	off, ok := r.floatsAt(12)
	if !ok || r.off >= len(r.b) {
		return formats.Decoded{}, false
	}
	covType := r.b[r.off]
	r.off++
	if !r.done() {
		return formats.Decoded{}, false
	}
	if headerOnly {
		return formats.Decoded{HasStamp: true, Stamp: stamp, FrameID: d.frames[0].get(frame)}, true
	}
	m := new(formats.GNSS)
	m.Latitude, m.Longitude, m.Altitude = r.f64(off), r.f64(off+8), r.f64(off+16)
	r.floats(off+24, m.PositionCovariance[:])
	m.CovarianceType, m.Status = int(covType), int(status)
	return formats.Decoded{HasStamp: true, Stamp: stamp, FrameID: d.frames[0].get(frame), Payload: m}, true
}

// lastString keeps the last string made from a channel's field (a frame
// id, which nearly always repeats) so that a message does not allocate it
// again. Safe for concurrent use.
type lastString struct{ p atomic.Pointer[string] }

func (c *lastString) get(b []byte) string {
	if p := c.p.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	c.p.Store(&s)
	return s
}

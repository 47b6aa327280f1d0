package ros

import (
	"encoding/hex"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/msgdef"
)

// scratch holds the state of one Decode call (cached per Decoder): the
// reader, the slot locations, and a few recent strings so that repeated
// frame ids, encodings and field names are not allocated per message.
type scratch struct {
	r           reader
	locs, elocs []loc
	strs        [8]string
	next        int
}

// intern returns b as a string, reusing a recent equal string.
func (sc *scratch) intern(b []byte) string {
	for _, s := range sc.strs {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	sc.strs[sc.next&7] = s
	sc.next++
	return s
}

// typedDecoder is the compiled typed path of one message type.
type typedDecoder interface {
	decode(r *reader, sc *scratch) (formats.Decoded, error)
	// scratchSize is the number of root and element slots.
	scratchSize() (root, elem int)
	// prepare finishes the projections once binding is done.
	prepare()
}

// typedPaths maps a normalized type name to its typed path constructor;
// a constructor returns nil when the schema lacks the fields it needs.
var typedPaths = map[string]func(*node) typedDecoder{
	"sensor_msgs/Imu":                         newImu,
	"sensor_msgs/Image":                       newImage,
	"sensor_msgs/CompressedImage":             newCompressed,
	"sensor_msgs/PointCloud2":                 newPointCloud2,
	"sensor_msgs/CameraInfo":                  newCameraInfo,
	"sensor_msgs/NavSatFix":                   newNavSatFix,
	"tf2_msgs/TFMessage":                      newTF,
	"tf/tfMessage":                            newTF, // ROS 1 tf
	"geometry_msgs/PoseWithCovarianceStamped": newPoseWithCovStamped,
	"geometry_msgs/TransformStamped":          newTransformStamped,
	"geometry_msgs/PoseStamped":               newPoseStamped,
	"nav_msgs/Odometry":                       newOdometry,
	"radar_msgs/RadarScan":                    newRadarScan,
	"radar_msgs/RadarTracks":                  newRadarTracks,
}

// tbase is what every typed path has: the root projection and the header.
type tbase struct {
	b   *binder
	hdr headerSlots
	// eb is the element projection of a sequence the path iterates (or nil).
	eb *binder
}

func (t *tbase) scratchSize() (int, int) {
	ne := 0
	if t.eb != nil {
		ne = len(t.eb.slots)
	}
	return len(t.b.slots), ne
}

func (t *tbase) prepare() {
	t.b.root.prepare()
	if t.eb != nil {
		t.eb.root.prepare()
	}
}

func (t *tbase) walk(r *reader, sc *scratch) (view, error) {
	locs := sc.locs[:len(t.b.slots)]
	if err := r.walk(t.b.root, locs); err != nil {
		return view{}, err
	}
	return view{a: at{b: r.b, be: r.be}, locs: locs, slots: t.b.slots, sc: sc}, nil
}

// decoded returns the Decoded envelope with the header filled in.
func (t *tbase) decoded(v *view, p formats.Payload) formats.Decoded {
	out := formats.Decoded{Payload: p}
	if t.hdr.ok {
		out.HasStamp = true
		out.Stamp = v.stamp(t.hdr.stamp)
	}
	out.FrameID = v.str(t.hdr.frame)
	return out
}

// each walks the l.n elements of the sequence at l with the element
// projection and calls fn with each element's view.
func (t *tbase) each(r *reader, sc *scratch, name string, l loc, fn func(i int, ev *view)) error {
	er := *r
	er.off = l.off
	elocs := sc.elocs[:len(t.eb.slots)]
	ev := view{a: at{b: r.b, be: r.be}, locs: elocs, slots: t.eb.slots, sc: sc}
	for i := 0; i < l.n; i++ {
		if err := er.walk(t.eb.root, elocs); err != nil {
			return in(inIndex(err, i), name)
		}
		fn(i, &ev)
	}
	return nil
}

func newBase(nd *node) tbase {
	b := newBinder(nd)
	return tbase{b: b, hdr: bindHeader(b, "header")}
}

// join appends name to a path without aliasing it.
func join(path []string, name string) []string {
	return append(path[:len(path):len(path)], name)
}

type vec3 [3]int

func bindVec(b *binder, path ...string) (vec3, bool) {
	v := vec3{b.bind(join(path, "x")...), b.bind(join(path, "y")...), b.bind(join(path, "z")...)}
	return v, v[0] >= 0 && v[1] >= 0 && v[2] >= 0
}

func (v *view) vec(s vec3) r3.Vec { return r3.Vec{X: v.f(s[0]), Y: v.f(s[1]), Z: v.f(s[2])} }

type quat4 [4]int // x, y, z, w slots

func bindQuat(b *binder, path ...string) (quat4, bool) {
	q := quat4{b.bind(join(path, "x")...), b.bind(join(path, "y")...), b.bind(join(path, "z")...), b.bind(join(path, "w")...)}
	return q, q[0] >= 0 && q[1] >= 0 && q[2] >= 0 && q[3] >= 0
}

// quat converts the wire order x, y, z, w to gonum's w + xi + yj + zk.
func (v *view) quat(q quat4) quat.Number {
	return quat.Number{Real: v.f(q[3]), Imag: v.f(q[0]), Jmag: v.f(q[1]), Kmag: v.f(q[2])}
}

type poseSlots struct {
	pos vec3
	ori quat4
}

func bindPose(b *binder, path ...string) (poseSlots, bool) {
	var p poseSlots
	var ok1, ok2 bool
	p.pos, ok1 = bindVec(b, join(path, "position")...)
	p.ori, ok2 = bindQuat(b, join(path, "orientation")...)
	return p, ok1 && ok2
}

func (v *view) pose(p poseSlots) formats.Pose {
	return formats.Pose{Position: v.vec(p.pos), Orientation: v.quat(p.ori)}
}

// findSeq finds a sequence (or array) of structs: by field name first, then
// by element type name, then by element fields.
func findSeq(nd *node, names, types, has []string) *fnode {
	isSeq := func(f *fnode) bool { return f.sub != nil && f.arr != msgdef.NotArray }
	for _, n := range names {
		if f := nd.field(n); f != nil && isSeq(f) {
			return f
		}
	}
	for i := range nd.fields {
		f := &nd.fields[i]
		if !isSeq(f) {
			continue
		}
		for _, t := range types {
			if f.sub.name == t {
				return f
			}
		}
	}
outer:
	for i := range nd.fields {
		f := &nd.fields[i]
		if !isSeq(f) || len(has) == 0 {
			continue
		}
		for _, h := range has {
			if f.sub.field(h) == nil {
				continue outer
			}
		}
		return f
	}
	return nil
}

// ---- sensor_msgs/Imu

type imuDec struct {
	tbase
	ori        quat4
	av, la     vec3
	oc, ac, lc int
}

func newImu(nd *node) typedDecoder {
	d := &imuDec{tbase: newBase(nd)}
	var ok1, ok2, ok3 bool
	d.ori, ok1 = bindQuat(d.b, "orientation")
	d.av, ok2 = bindVec(d.b, "angular_velocity")
	d.la, ok3 = bindVec(d.b, "linear_acceleration")
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	d.oc = d.b.bind("orientation_covariance")
	d.ac = d.b.bind("angular_velocity_covariance")
	d.lc = d.b.bind("linear_acceleration_covariance")
	return d
}

func (d *imuDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	m := &formats.IMU{Orientation: v.quat(d.ori), AngularVelocity: v.vec(d.av), LinearAcceleration: v.vec(d.la)}
	v.floats(d.oc, m.OrientationCovariance[:])
	v.floats(d.ac, m.AngularVelocityCovariance[:])
	v.floats(d.lc, m.LinearAccelerationCovariance[:])
	return d.decoded(&v, m), nil
}

// ---- sensor_msgs/Image

type imageDec struct {
	tbase
	height, width, encoding, bigEndian, step, data int
}

func newImage(nd *node) typedDecoder {
	d := &imageDec{tbase: newBase(nd)}
	d.height, d.width = d.b.bind("height"), d.b.bind("width")
	d.encoding, d.bigEndian = d.b.bind("encoding"), d.b.bind("is_bigendian")
	d.step, d.data = d.b.bind("step"), d.b.bind("data")
	if d.height < 0 || d.width < 0 || d.encoding < 0 || d.step < 0 || d.data < 0 || !d.b.slots[d.data].bytes {
		return nil
	}
	return d
}

func (d *imageDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	m := &formats.Image{Width: int(v.i(d.width)), Height: int(v.i(d.height)), Encoding: v.str(d.encoding),
		BigEndian: v.i(d.bigEndian) != 0, Step: int(v.i(d.step)), Data: v.bytes(d.data)}
	return d.decoded(&v, m), nil
}

// ---- sensor_msgs/CompressedImage

type compressedDec struct {
	tbase
	format, data int
}

func newCompressed(nd *node) typedDecoder {
	d := &compressedDec{tbase: newBase(nd)}
	d.format, d.data = d.b.bind("format"), d.b.bind("data")
	if d.format < 0 || d.data < 0 || !d.b.slots[d.data].bytes {
		return nil
	}
	return d
}

func (d *compressedDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	return d.decoded(&v, &formats.CompressedImage{Format: v.str(d.format), Data: v.bytes(d.data)}), nil
}

// ---- sensor_msgs/PointCloud2

type pc2Dec struct {
	tbase
	height, width, fields, bigEndian, pointStep, rowStep, data, dense int
	fname, foff, ftype, fcount                                        int
}

func newPointCloud2(nd *node) typedDecoder {
	d := &pc2Dec{tbase: newBase(nd)}
	d.height, d.width = d.b.bind("height"), d.b.bind("width")
	d.bigEndian, d.pointStep, d.rowStep = d.b.bind("is_bigendian"), d.b.bind("point_step"), d.b.bind("row_step")
	d.data, d.dense = d.b.bind("data"), d.b.bind("is_dense")
	f := nd.field("fields")
	if d.height < 0 || d.width < 0 || d.pointStep < 0 || d.data < 0 || !d.b.slots[d.data].bytes ||
		f == nil || f.sub == nil || f.arr == msgdef.NotArray {
		return nil
	}
	d.fields = d.b.bind("fields")
	d.eb = newBinder(f.sub)
	d.fname, d.foff, d.ftype, d.fcount = d.eb.bind("name"), d.eb.bind("offset"), d.eb.bind("datatype"), d.eb.bind("count")
	if d.fname < 0 || d.foff < 0 || d.ftype < 0 {
		return nil
	}
	return d
}

func (d *pc2Dec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	m := &formats.PointCloud{Width: int(v.i(d.width)), Height: int(v.i(d.height)), BigEndian: v.i(d.bigEndian) != 0,
		PointStep: int(v.i(d.pointStep)), RowStep: int(v.i(d.rowStep)), Dense: v.i(d.dense) != 0, Data: v.bytes(d.data)}
	l := v.locs[d.fields]
	m.Fields = make([]formats.PointField, l.n)
	err = d.each(r, sc, "fields", l, func(i int, ev *view) {
		cnt := 1
		if d.fcount >= 0 {
			cnt = int(ev.i(d.fcount))
		}
		m.Fields[i] = formats.PointField{Name: ev.str(d.fname), Offset: int(ev.i(d.foff)), Type: formats.PointType(ev.i(d.ftype)), Count: cnt}
	})
	if err != nil {
		return formats.Decoded{}, err
	}
	return d.decoded(&v, m), nil
}

// ---- sensor_msgs/CameraInfo (ROS 2 d,k,r,p; ROS 1 D,K,R,P)

type camInfoDec struct {
	tbase
	height, width, model, dd, k, rr, p, bx, by int
}

func newCameraInfo(nd *node) typedDecoder {
	d := &camInfoDec{tbase: newBase(nd)}
	b := d.b
	d.height, d.width, d.model = b.bind("height"), b.bind("width"), b.bind("distortion_model")
	d.dd = b.first([]string{"d"}, []string{"D"})
	d.k = b.first([]string{"k"}, []string{"K"})
	d.rr = b.first([]string{"r"}, []string{"R"})
	d.p = b.first([]string{"p"}, []string{"P"})
	d.bx, d.by = b.bind("binning_x"), b.bind("binning_y")
	if d.height < 0 || d.width < 0 || d.k < 0 {
		return nil
	}
	return d
}

func (d *camInfoDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	m := &formats.CameraInfo{Width: int(v.i(d.width)), Height: int(v.i(d.height)), DistortionModel: v.str(d.model),
		BinningX: int(v.i(d.bx)), BinningY: int(v.i(d.by))}
	if d.dd >= 0 {
		m.D = make([]float64, v.locs[d.dd].n)
		v.floats(d.dd, m.D)
	}
	v.floats(d.k, m.K[:])
	v.floats(d.rr, m.R[:])
	v.floats(d.p, m.P[:])
	return d.decoded(&v, m), nil
}

// ---- sensor_msgs/NavSatFix

type navSatDec struct {
	tbase
	lat, lon, alt, cov, covType, status int
}

func newNavSatFix(nd *node) typedDecoder {
	d := &navSatDec{tbase: newBase(nd)}
	b := d.b
	d.lat, d.lon, d.alt = b.bind("latitude"), b.bind("longitude"), b.bind("altitude")
	d.cov, d.covType = b.bind("position_covariance"), b.bind("position_covariance_type")
	d.status = b.bind("status", "status")
	if d.lat < 0 || d.lon < 0 {
		return nil
	}
	return d
}

func (d *navSatDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	m := &formats.GNSS{Latitude: v.f(d.lat), Longitude: v.f(d.lon), Altitude: v.f(d.alt),
		CovarianceType: int(v.i(d.covType)), Status: int(v.i(d.status))}
	v.floats(d.cov, m.PositionCovariance[:])
	return d.decoded(&v, m), nil
}

// ---- geometry_msgs/TransformStamped and tf2_msgs/TFMessage

type tsSlots struct {
	hdr   headerSlots
	child int
	tr    vec3
	rot   quat4
}

func bindTransformStamped(b *binder) (tsSlots, bool) {
	t := tsSlots{hdr: bindHeader(b, "header"), child: b.bind("child_frame_id")}
	var ok1, ok2 bool
	t.tr, ok1 = bindVec(b, "transform", "translation")
	t.rot, ok2 = bindQuat(b, "transform", "rotation")
	return t, ok1 && ok2 && t.child >= 0
}

func (v *view) transform(t tsSlots) formats.Transform {
	out := formats.Transform{Parent: v.str(t.hdr.frame), Child: v.str(t.child), Translation: v.vec(t.tr), Rotation: v.quat(t.rot)}
	if t.hdr.ok {
		out.Stamp = v.stamp(t.hdr.stamp)
	}
	return out
}

type tfDec struct {
	tbase
	seq int
	ts  tsSlots
}

func newTF(nd *node) typedDecoder {
	d := &tfDec{tbase: newBase(nd)}
	f := findSeq(nd, []string{"transforms"}, []string{"geometry_msgs/TransformStamped"}, nil)
	if f == nil {
		return nil
	}
	d.seq = d.b.bind(f.name)
	d.eb = newBinder(f.sub)
	var ok bool
	if d.ts, ok = bindTransformStamped(d.eb); !ok {
		return nil
	}
	return d
}

func (d *tfDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	l := v.locs[d.seq]
	m := &formats.Transforms{Transforms: make([]formats.Transform, l.n)}
	if err := d.each(r, sc, d.b.slots[d.seq].name, l, func(i int, ev *view) { m.Transforms[i] = ev.transform(d.ts) }); err != nil {
		return formats.Decoded{}, err
	}
	return d.decoded(&v, m), nil
}

type tsDec struct {
	tbase
	ts tsSlots
}

func newTransformStamped(nd *node) typedDecoder {
	d := &tsDec{tbase: newBase(nd)}
	var ok bool
	if d.ts, ok = bindTransformStamped(d.b); !ok {
		return nil
	}
	d.hdr = d.ts.hdr
	return d
}

func (d *tsDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	return d.decoded(&v, &formats.Transforms{Transforms: []formats.Transform{v.transform(d.ts)}}), nil
}

// ---- geometry_msgs/PoseStamped

type poseStampedDec struct {
	tbase
	pose poseSlots
}

func newPoseStamped(nd *node) typedDecoder {
	d := &poseStampedDec{tbase: newBase(nd)}
	var ok bool
	if d.pose, ok = bindPose(d.b, "pose"); !ok {
		return nil
	}
	return d
}

func (d *poseStampedDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	return d.decoded(&v, &formats.PoseStamped{Pose: v.pose(d.pose)}), nil
}

// ---- geometry_msgs/PoseWithCovarianceStamped (→ PoseStamped; the
// covariance has no place in formats.PoseStamped)

func newPoseWithCovStamped(nd *node) typedDecoder {
	d := &poseStampedDec{tbase: newBase(nd)}
	var ok bool
	if d.pose, ok = bindPose(d.b, "pose", "pose"); !ok {
		return nil
	}
	return d
}

// ---- nav_msgs/Odometry

type odomDec struct {
	tbase
	child    int
	pose     poseSlots
	poseCov  int
	lin, ang vec3
	twistCov int
}

func newOdometry(nd *node) typedDecoder {
	d := &odomDec{tbase: newBase(nd)}
	b := d.b
	var ok bool
	if d.pose, ok = bindPose(b, "pose", "pose"); !ok {
		return nil
	}
	d.child = b.bind("child_frame_id")
	d.poseCov = b.bind("pose", "covariance")
	d.lin, _ = bindVec(b, "twist", "twist", "linear")
	d.ang, _ = bindVec(b, "twist", "twist", "angular")
	d.twistCov = b.bind("twist", "covariance")
	return d
}

func (d *odomDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	m := &formats.Odometry{ChildFrame: v.str(d.child), Pose: v.pose(d.pose), LinearVelocity: v.vec(d.lin), AngularVelocity: v.vec(d.ang)}
	v.floats(d.poseCov, m.PoseCovariance[:])
	v.floats(d.twistCov, m.TwistCovariance[:])
	return d.decoded(&v, m), nil
}

// ---- radar_msgs/RadarScan (returns: range, azimuth, elevation,
// doppler_velocity, amplitude → RCS)

type radarScanDec struct {
	tbase
	seq                       int
	rng, az, el, doppler, amp int
}

func newRadarScan(nd *node) typedDecoder {
	d := &radarScanDec{tbase: newBase(nd)}
	f := findSeq(nd, []string{"returns"}, []string{"radar_msgs/RadarReturn"}, []string{"range", "azimuth"})
	if f == nil {
		return nil
	}
	d.seq = d.b.bind(f.name)
	d.eb = newBinder(f.sub)
	d.rng, d.az = d.eb.bind("range"), d.eb.bind("azimuth")
	d.el, d.doppler, d.amp = d.eb.bind("elevation"), d.eb.bind("doppler_velocity"), d.eb.bind("amplitude")
	if d.rng < 0 || d.az < 0 {
		return nil
	}
	return d
}

func (d *radarScanDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	l := v.locs[d.seq]
	n := l.n
	cols := 2
	for _, s := range [...]int{d.el, d.doppler, d.amp} {
		if s >= 0 {
			cols++
		}
	}
	back := make([]float32, cols*n)
	next := func(s int) []float32 {
		if s < 0 {
			return nil
		}
		c := back[:n:n]
		back = back[n:]
		return c
	}
	m := &formats.RadarScan{Range: next(d.rng), Azimuth: next(d.az), Elevation: next(d.el), Doppler: next(d.doppler), RCS: next(d.amp)}
	err = d.each(r, sc, d.b.slots[d.seq].name, l, func(i int, ev *view) {
		m.Range[i] = float32(ev.f(d.rng))
		m.Azimuth[i] = float32(ev.f(d.az))
		if m.Elevation != nil {
			m.Elevation[i] = float32(ev.f(d.el))
		}
		if m.Doppler != nil {
			m.Doppler[i] = float32(ev.f(d.doppler))
		}
		if m.RCS != nil {
			m.RCS[i] = float32(ev.f(d.amp))
		}
	})
	if err != nil {
		return formats.Decoded{}, err
	}
	return d.decoded(&v, m), nil
}

// ---- radar_msgs/RadarTracks

type radarTracksDec struct {
	tbase
	seq                 int
	uuid, class         int
	pos, vel, acc, size vec3
}

func newRadarTracks(nd *node) typedDecoder {
	d := &radarTracksDec{tbase: newBase(nd)}
	f := findSeq(nd, []string{"tracks"}, []string{"radar_msgs/RadarTrack"}, []string{"position", "velocity"})
	if f == nil {
		return nil
	}
	d.seq = d.b.bind(f.name)
	d.eb = newBinder(f.sub)
	var ok bool
	if d.pos, ok = bindVec(d.eb, "position"); !ok {
		return nil
	}
	d.vel, _ = bindVec(d.eb, "velocity")
	d.acc, _ = bindVec(d.eb, "acceleration")
	d.size, _ = bindVec(d.eb, "size")
	d.uuid = d.eb.first([]string{"uuid", "uuid"}, []string{"uuid"})
	d.class = d.eb.bind("classification")
	return d
}

func (d *radarTracksDec) decode(r *reader, sc *scratch) (formats.Decoded, error) {
	v, err := d.walk(r, sc)
	if err != nil {
		return formats.Decoded{}, err
	}
	l := v.locs[d.seq]
	m := &formats.RadarTracks{Tracks: make([]formats.RadarTrack, l.n)}
	err = d.each(r, sc, d.b.slots[d.seq].name, l, func(i int, ev *view) {
		m.Tracks[i] = formats.RadarTrack{ID: uuidString(ev.bytes(d.uuid)), Position: ev.vec(d.pos), Velocity: ev.vec(d.vel),
			Acceleration: ev.vec(d.acc), Size: ev.vec(d.size), Class: uint16(ev.i(d.class))}
	})
	if err != nil {
		return formats.Decoded{}, err
	}
	return d.decoded(&v, m), nil
}

// uuidString formats 16 bytes as a canonical UUID, anything else as hex.
func uuidString(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

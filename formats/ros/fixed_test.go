package ros

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/msgdef"
)

// Field lists of the upstream messages (sensor_msgs, nav_msgs,
// geometry_msgs, std_msgs of ROS 2 rolling and ROS 1 noetic), constants
// and comments left out.
const (
	msgHeader2  = "builtin_interfaces/Time stamp\nstring frame_id\n"
	msgTime2    = "int32 sec\nuint32 nanosec\n"
	msgHeader1  = "uint32 seq\ntime stamp\nstring frame_id\n"
	msgQuat     = "float64 x\nfloat64 y\nfloat64 z\nfloat64 w\n"
	msgVec      = "float64 x\nfloat64 y\nfloat64 z\n"
	msgImu      = "std_msgs/Header header\ngeometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\ngeometry_msgs/Vector3 angular_velocity\nfloat64[9] angular_velocity_covariance\ngeometry_msgs/Vector3 linear_acceleration\nfloat64[9] linear_acceleration_covariance\n"
	msgOdom     = "std_msgs/Header header\nstring child_frame_id\ngeometry_msgs/PoseWithCovariance pose\ngeometry_msgs/TwistWithCovariance twist\n"
	msgPoseCov  = "Pose pose\nfloat64[36] covariance\n"
	msgPose     = "Point position\nQuaternion orientation\n"
	msgTwistCov = "Twist twist\nfloat64[36] covariance\n"
	msgTwist    = "Vector3 linear\nVector3 angular\n"
	msgNavSat   = "std_msgs/Header header\nNavSatStatus status\nfloat64 latitude\nfloat64 longitude\nfloat64 altitude\nfloat64[9] position_covariance\nuint8 COVARIANCE_TYPE_KNOWN=3\nuint8 position_covariance_type\n"
	msgNavStat  = "int8 STATUS_FIX=0\nint8 status\nuint16 service\n"
)

// schemaText concatenates a root text and its dependencies the way MCAP
// writers do.
func schemaText(root string, deps ...string) string {
	var b strings.Builder
	b.WriteString(root)
	for i := 0; i+1 < len(deps); i += 2 {
		b.WriteString(sep + "\nMSG: " + deps[i] + "\n" + deps[i+1])
	}
	return b.String()
}

// fixedSchemas are the upstream schemas of the fixed-layout types, per
// dialect, as (type name, schema encoding, message encoding, text).
func fixedSchemas() []struct{ name, senc, menc, text string } {
	var out []struct{ name, senc, menc, text string }
	for _, ros1 := range []bool{false, true} {
		hdr := []string{"std_msgs/Header", msgHeader2, "builtin_interfaces/Time", msgTime2}
		senc, menc, pfx := "ros2msg", "cdr", "/msg/"
		if ros1 {
			hdr = []string{"std_msgs/Header", msgHeader1}
			senc, menc, pfx = "ros1msg", "ros1", "/"
		}
		geo := func(names ...string) []string {
			texts := map[string]string{"Quaternion": msgQuat, "Vector3": msgVec, "Point": msgVec, "Pose": msgPose,
				"PoseWithCovariance": msgPoseCov, "Twist": msgTwist, "TwistWithCovariance": msgTwistCov}
			var d []string
			for _, n := range names {
				d = append(d, "geometry_msgs/"+n, texts[n])
			}
			return d
		}
		add := func(name, text string, deps ...string) {
			out = append(out, struct{ name, senc, menc, text string }{strings.Replace(name, "/", pfx, 1), senc, menc, schemaText(text, deps...)})
		}
		add("sensor_msgs/Imu", msgImu, append(hdr, geo("Quaternion", "Vector3")...)...)
		add("nav_msgs/Odometry", msgOdom, append(hdr, geo("PoseWithCovariance", "Pose", "Point", "Quaternion", "TwistWithCovariance", "Twist", "Vector3")...)...)
		add("sensor_msgs/NavSatFix", msgNavSat, append(hdr, "sensor_msgs/NavSatStatus", msgNavStat)...)
	}
	return out
}

// randRecord fills every field of nd with random values.
func randRecord(nd *node, rng *rand.Rand) *formats.Record {
	r := &formats.Record{}
	for i := range nd.fields {
		f := &nd.fields[i]
		one := func() any {
			switch {
			case f.sub != nil:
				return randRecord(f.sub, rng)
			case f.kind == msgdef.String:
				return []string{"", "imu", "base_link", "gps_antenna"}[rng.IntN(4)]
			case f.kind == msgdef.Time:
				return &formats.Record{Values: []any{uint64(rng.Uint32()), uint64(rng.Uint32N(1e9))}}
			case f.kind == msgdef.Float64:
				return rng.NormFloat64() * 100
			case f.kind == msgdef.Int8 || f.kind == msgdef.Int32:
				return int64(int32(rng.Uint32()))
			}
			return uint64(rng.Uint32())
		}
		var v any
		if f.arr == msgdef.Fixed {
			vals := make([]any, f.n)
			for j := range vals {
				vals[j] = one()
			}
			v = vals
		} else {
			v = one()
		}
		r.Names = append(r.Names, f.name)
		r.Values = append(r.Values, v)
	}
	return r
}

// payloads returns well-formed encodings of random messages of d's type:
// ROS 1, or CDR little/big-endian, XCDR1/XCDR2.
func payloads(d *Decoder, rng *rand.Rand, n int) [][]byte {
	var out [][]byte
	for range n {
		r := randRecord(d.root, rng)
		if !d.cdr {
			out = append(out, encodeROS1(d.root, r))
			continue
		}
		for _, be := range []bool{false, true} {
			for _, x2 := range []bool{false, true} {
				out = append(out, encodeCDR(d.root, r, be, x2))
			}
		}
	}
	return out
}

// sameDecode fails unless Decode (fast path first) and the typed path
// give the same envelope and payload, or the same error; it reports
// whether the fast path took data.
func sameDecode(t *testing.T, d *Decoder, data []byte) bool {
	t.Helper()
	fast, ok := d.fixed(d, data, false)
	want, werr := d.decodeTyped(data)
	if ok && werr != nil {
		t.Fatalf("%s: fast path accepted %x, typed path: %v", d.typeName, data, werr)
	}
	got, gerr := d.Decode(data)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("%s: Decode error %v, typed path %v", d.typeName, gerr, werr)
	}
	h, herr := d.DecodeHeader(data)
	if (herr == nil) != (werr == nil) || h.Payload != nil || werr == nil && (h.HasStamp != want.HasStamp || h.Stamp != want.Stamp || h.FrameID != want.FrameID) {
		t.Fatalf("%s: DecodeHeader = %v %d %q %v, typed path %v %d %q %v", d.typeName, h.HasStamp, h.Stamp, h.FrameID, herr, want.HasStamp, want.Stamp, want.FrameID, werr)
	}
	for _, g := range []formats.Decoded{got, fast} {
		if g.Payload == nil && g.FrameID == "" && !g.HasStamp {
			continue // the error case, or the fast path declined
		}
		if a, b := decodedText(g), decodedText(want); a != b {
			t.Fatalf("%s on %x:\ngot   %s\ntyped %s", d.typeName, data, a, b)
		}
	}
	return ok
}

// decodedText prints an envelope with its payload's bits (NaN payloads and
// -0 told apart).
func decodedText(d formats.Decoded) string {
	var b strings.Builder
	b.WriteString(d.FrameID)
	b.WriteByte('|')
	if d.HasStamp {
		b.WriteString("stamp ")
	}
	var fs []float64
	var is []int
	var ss []string
	switch p := d.Payload.(type) {
	case *formats.IMU:
		fs = append(fs, p.Orientation.Real, p.Orientation.Imag, p.Orientation.Jmag, p.Orientation.Kmag,
			p.AngularVelocity.X, p.AngularVelocity.Y, p.AngularVelocity.Z, p.LinearAcceleration.X, p.LinearAcceleration.Y, p.LinearAcceleration.Z)
		fs = append(append(append(fs, p.OrientationCovariance[:]...), p.AngularVelocityCovariance[:]...), p.LinearAccelerationCovariance[:]...)
	case *formats.Odometry:
		ss = append(ss, p.ChildFrame)
		q := p.Pose.Orientation
		fs = append(fs, p.Pose.Position.X, p.Pose.Position.Y, p.Pose.Position.Z, q.Real, q.Imag, q.Jmag, q.Kmag,
			p.LinearVelocity.X, p.LinearVelocity.Y, p.LinearVelocity.Z, p.AngularVelocity.X, p.AngularVelocity.Y, p.AngularVelocity.Z)
		fs = append(append(fs, p.PoseCovariance[:]...), p.TwistCovariance[:]...)
	case *formats.GNSS:
		fs = append(append(fs, p.Latitude, p.Longitude, p.Altitude), p.PositionCovariance[:]...)
		is = append(is, p.CovarianceType, p.Status)
	case nil:
	default:
		b.WriteString("unexpected payload type")
	}
	u := make([]uint64, len(fs))
	for i, f := range fs {
		u[i] = math.Float64bits(f)
	}
	return fmt.Sprintf("%s%T %q %x %v t%d", b.String(), d.Payload, ss, u, is, d.Stamp)
}

// TestFixedSignatures: the fast path is chosen by the compiled field list,
// never by the name: the upstream schemas (inline here, and the .msg texts
// under ../shared/data/ros2msgs) get it, every variant does not, and the
// variants still decode through the typed path.
func TestFixedSignatures(t *testing.T) {
	for _, s := range fixedSchemas() {
		d := mustNew(t, s.name, s.senc, []byte(s.text), s.menc)
		if !d.HasFixed() {
			t.Errorf("%s (%s): no fast path for the upstream schema; layout %s", s.name, s.senc, layoutSig(d.root))
		}
	}
	// The upstream ROS 2 .msg texts as published.
	if dir, ok := shareddata.Root(); ok {
		read := func(typ string) string {
			p := strings.SplitN(typ, "/", 2)
			b, err := os.ReadFile(filepath.Join(dir, "ros2msgs", p[0], "msg", p[1]+".msg"))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		for _, tc := range []struct {
			root string
			deps []string
		}{
			{"sensor_msgs/Imu", []string{"std_msgs/Header", "builtin_interfaces/Time", "geometry_msgs/Quaternion", "geometry_msgs/Vector3"}},
			{"nav_msgs/Odometry", []string{"std_msgs/Header", "builtin_interfaces/Time", "geometry_msgs/PoseWithCovariance", "geometry_msgs/Pose",
				"geometry_msgs/Point", "geometry_msgs/Quaternion", "geometry_msgs/TwistWithCovariance", "geometry_msgs/Twist", "geometry_msgs/Vector3"}},
		} {
			var deps []string
			for _, d := range tc.deps {
				deps = append(deps, d, read(d))
			}
			d := mustNew(t, tc.root, "ros2msg", []byte(schemaText(read(tc.root), deps...)), "cdr")
			if !d.HasFixed() {
				t.Errorf("%s from ros2msgs: no fast path; layout %s", tc.root, layoutSig(d.root))
			}
		}
	}
	imu := fixedSchemas()[0]
	for _, tc := range []struct{ name, from, to string }{
		{"float32 covariance", "float64[9] angular_velocity_covariance", "float32[9] angular_velocity_covariance"},
		{"covariance as a sequence", "float64[9] orientation_covariance", "float64[] orientation_covariance"},
		{"renamed field", "linear_acceleration_covariance", "linear_acceleration_cov"},
		{"extra field", "float64[9] linear_acceleration_covariance\n", "float64[9] linear_acceleration_covariance\nuint8 quality\n"},
		{"reordered fields", "geometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\n", "float64[9] orientation_covariance\ngeometry_msgs/Quaternion orientation\n"},
		{"float32 quaternion", "MSG: geometry_msgs/Quaternion\nfloat64 x", "MSG: geometry_msgs/Quaternion\nfloat32 x"},
		{"uint32 stamp seconds", "int32 sec", "uint32 sec"},
	} {
		text := strings.Replace(imu.text, tc.from, tc.to, 1)
		if text == imu.text {
			t.Fatalf("%s: %q not in the schema", tc.name, tc.from)
		}
		d := mustNew(t, imu.name, imu.senc, []byte(text), imu.menc)
		if d.HasFixed() {
			t.Errorf("%s: a fast path for a schema that is not the upstream one", tc.name)
		}
		if !d.Typed() {
			t.Errorf("%s: no typed path", tc.name)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		for _, p := range payloads(d, rng, 2) {
			if out, err := d.Decode(p); err != nil || out.Payload == nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	}
}

// TestFixedEdges: payloads the fast path declines (the typed path then
// decodes them or names the problem) and the ones it takes.
func TestFixedEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 16))
	for _, s := range fixedSchemas() {
		d := mustNew(t, s.name, s.senc, []byte(s.text), s.menc)
		for _, p := range payloads(d, rng, 3) {
			if !sameDecode(t, d, p) {
				t.Errorf("%s (%s): fast path declined a well-formed payload %x", s.name, s.menc, p)
			}
			edits := []struct {
				name string
				data []byte
				take bool
			}{
				{"truncated by 1", p[:len(p)-1], false},
				{"header only", p[:min(len(p), 16)], false},
				{"empty", nil, false},
				{"4 bytes more", append(p[:len(p):len(p)], 0, 0, 0, 0), false},
			}
			if d.cdr {
				edits = append(edits,
					struct {
						name string
						data []byte
						take bool
					}{"3 pad bytes", append(p[:len(p):len(p)], 0, 0, 0), true},
					struct {
						name string
						data []byte
						take bool
					}{"parameter list", append([]byte{0, 3}, p[2:]...), false},
					struct {
						name string
						data []byte
						take bool
					}{"options byte", append([]byte{1, p[1]}, p[2:]...), false})
			}
			for _, e := range edits {
				if got := sameDecode(t, d, e.data); got != e.take {
					t.Errorf("%s (%s) %s: fast path took it %v, want %v", s.name, s.menc, e.name, got, e.take)
				}
			}
		}
	}
}

// FuzzFixed: on arbitrary bytes the fast path and the typed path agree:
// the same envelope and payload, or the same error; never a panic.
func FuzzFixed(f *testing.F) {
	schemas := fixedSchemas()
	rng := rand.New(rand.NewPCG(16, 1))
	for i, s := range schemas {
		d := mustNew(f, s.name, s.senc, []byte(s.text), s.menc)
		for _, p := range payloads(d, rng, 1) {
			f.Add(uint8(i), p)
		}
	}
	decs := make([]*Decoder, len(schemas))
	for i, s := range schemas {
		decs[i] = mustNew(f, s.name, s.senc, []byte(s.text), s.menc)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		sameDecode(t, decs[int(which)%len(decs)], data)
	})
}

// TestFixedConcurrent: a Decoder is safe for concurrent use; the fast
// path's frame id cache must not mix up the frame ids of messages decoded
// at the same time (run with -race).
func TestFixedConcurrent(t *testing.T) {
	for _, s := range fixedSchemas() {
		d := mustNew(t, s.name, s.senc, []byte(s.text), s.menc)
		ps := payloads(d, rand.New(rand.NewPCG(5, 5)), 8)
		want := make([]string, len(ps))
		for i, p := range ps {
			w, err := d.decodeTyped(p)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = decodedText(w)
		}
		errs := make(chan string, 4)
		for g := range 4 {
			go func() {
				bad := ""
				for n := range 500 {
					i := (n*7 + g) % len(ps)
					got, err := d.Decode(ps[i])
					if err != nil || decodedText(got) != want[i] {
						bad = fmt.Sprintf("%s goroutine %d message %d: %v\ngot  %s\nwant %s", s.name, g, i, err, decodedText(got), want[i])
						break
					}
				}
				errs <- bad
			}()
		}
		for range 4 {
			if e := <-errs; e != "" {
				t.Error(e)
			}
		}
	}
}

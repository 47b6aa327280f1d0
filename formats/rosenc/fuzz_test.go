package rosenc

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// cdrReader is a minimal, bounds-checked CDR reader for the round-trip
// property test: it mirrors the layout rules independently of Encoder.
type cdrReader struct {
	b   []byte
	off int // relative to the byte after the header
	err error
}

var errShort = errors.New("short payload")

func newCDRReader(b []byte) *cdrReader {
	if len(b) < 4 || b[0] != 0 || b[1] != 1 {
		return &cdrReader{err: errors.New("bad header")}
	}
	return &cdrReader{b: b[4:]}
}

func (r *cdrReader) take(n, align int) []byte {
	if r.err != nil {
		return make([]byte, n)
	}
	if p := r.off % align; p != 0 {
		r.off += align - p
	}
	if n > len(r.b)-r.off || r.off > len(r.b) {
		r.err = errShort
		return make([]byte, n)
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}
func (r *cdrReader) u8() uint8   { return r.take(1, 1)[0] }
func (r *cdrReader) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2, 2)) }
func (r *cdrReader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4, 4)) }
func (r *cdrReader) f64() float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(r.take(8, 8)))
}
func (r *cdrReader) str() string {
	n := int(r.u32())
	if n == 0 || n > len(r.b)-r.off {
		r.err = errShort
		return ""
	}
	s := r.take(n, 1)
	if s[n-1] != 0 {
		r.err = errors.New("string without NUL")
	}
	return string(s[:n-1])
}
func (r *cdrReader) time() int64 {
	sec := int32(r.u32())
	nsec := r.u32()
	return int64(sec)*1e9 + int64(nsec)
}
func (r *cdrReader) quat() quat.Number {
	x, y, z, w := r.f64(), r.f64(), r.f64(), r.f64()
	return quat.Number{Real: w, Imag: x, Jmag: y, Kmag: z}
}
func (r *cdrReader) vec() r3.Vec { return r3.Vec{X: r.f64(), Y: r.f64(), Z: r.f64()} }
func (r *cdrReader) done() error {
	if r.err == nil && r.off != len(r.b) {
		return errors.New("trailing bytes")
	}
	return r.err
}

// sameF64 compares float64 bit patterns (NaN payloads included).
func sameF64(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func f64s(data []byte, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if len(data) >= 8*(i+1) {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	}
	return out
}

// FuzzEncoderRoundTrip encodes fuzzer-built messages and decodes them with
// an independent reader: every field must come back bit for bit, stamps
// outside the int32 second range must be errors, and nothing may panic.
func FuzzEncoderRoundTrip(f *testing.F) {
	f.Add(uint8(0), int64(1_700_000_000_123_456_789), "imu_link", []byte("0123456789abcdefghijklmnopqrstuvwxyz"))
	f.Add(uint8(1), int64(-1), "lidar", []byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint8(2), int64(0), "", []byte{})
	f.Add(uint8(3), int64(math.MaxInt64), "a/b/c", []byte{3, 1, 2, 3})
	f.Add(uint8(7), int64(-1_500_000_000), "cam", []byte{255, 255, 255, 255, 255, 255, 255, 127})
	f.Fuzz(func(t *testing.T, kind uint8, stamp int64, frame string, data []byte) {
		_, _, terr := splitTime(stamp)
		wantStamp := stamp
		var e Encoder
		switch kind % 4 {
		case 0: // Imu
			v := f64s(data, 31)
			m := &formats.IMU{
				Orientation:        quat.Number{Real: v[0], Imag: v[1], Jmag: v[2], Kmag: v[3]},
				AngularVelocity:    r3.Vec{X: v[4], Y: v[5], Z: v[6]},
				LinearAcceleration: r3.Vec{X: v[7], Y: v[8], Z: v[9]},
			}
			copy(m.OrientationCovariance[:], v[10:])
			copy(m.AngularVelocityCovariance[:], v[19:])
			copy(m.LinearAccelerationCovariance[:], v[22:])
			err := e.Encode(TypeImu, stamp, frame, m)
			if (err != nil) != (terr != nil) {
				t.Fatalf("Encode err %v, stamp err %v", err, terr)
			}
			if err != nil {
				return
			}
			r := newCDRReader(e.Bytes())
			if r.time() != wantStamp || r.str() != frame {
				t.Fatal("header mismatch")
			}
			got := &formats.IMU{Orientation: r.quat()}
			for i := range 9 {
				got.OrientationCovariance[i] = r.f64()
			}
			got.AngularVelocity = r.vec()
			for i := range 9 {
				got.AngularVelocityCovariance[i] = r.f64()
			}
			got.LinearAcceleration = r.vec()
			for i := range 9 {
				got.LinearAccelerationCovariance[i] = r.f64()
			}
			if err := r.done(); err != nil {
				t.Fatal(err)
			}
			a := []float64{m.Orientation.Real, m.Orientation.Imag, m.Orientation.Jmag, m.Orientation.Kmag, m.AngularVelocity.X, m.AngularVelocity.Y, m.AngularVelocity.Z, m.LinearAcceleration.X, m.LinearAcceleration.Y, m.LinearAcceleration.Z}
			b := []float64{got.Orientation.Real, got.Orientation.Imag, got.Orientation.Jmag, got.Orientation.Kmag, got.AngularVelocity.X, got.AngularVelocity.Y, got.AngularVelocity.Z, got.LinearAcceleration.X, got.LinearAcceleration.Y, got.LinearAcceleration.Z}
			a = append(append(append(a, m.OrientationCovariance[:]...), m.AngularVelocityCovariance[:]...), m.LinearAccelerationCovariance[:]...)
			b = append(append(append(b, got.OrientationCovariance[:]...), got.AngularVelocityCovariance[:]...), got.LinearAccelerationCovariance[:]...)
			for i := range a {
				if !sameF64(a[i], b[i]) {
					t.Fatalf("value %d: %v != %v", i, a[i], b[i])
				}
			}
		case 1: // PointCloud2 from PackPoints
			n := len(data) / 12
			p := &formats.Points{X: make([]float32, n), Y: make([]float32, n), Z: make([]float32, n),
				Intensity: make([]float32, n), Ring: make([]uint16, n), TimeOffset: make([]int64, n)}
			for i := range n {
				p.X[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[12*i:]))
				p.Y[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[12*i+4:]))
				p.Z[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[12*i+8:]))
				p.Intensity[i], p.Ring[i], p.TimeOffset[i] = p.Y[i], uint16(i), int64(i)*1000
			}
			pc := PackPoints(p, Layout(kind>>2)&(Intensity|Ring|TimeNs|TimeSec))
			err := e.Encode(TypePointCloud2, stamp, frame, pc)
			if (err != nil) != (terr != nil) {
				t.Fatalf("Encode err %v, stamp err %v", err, terr)
			}
			if err != nil {
				return
			}
			r := newCDRReader(e.Bytes())
			if r.time() != wantStamp || r.str() != frame {
				t.Fatal("header mismatch")
			}
			if h, w := r.u32(), r.u32(); h != 1 || int(w) != n {
				t.Fatalf("height %d width %d", h, w)
			}
			nf := int(r.u32())
			if nf != len(pc.Fields) {
				t.Fatalf("%d fields, want %d", nf, len(pc.Fields))
			}
			for _, f := range pc.Fields {
				if r.str() != f.Name || int(r.u32()) != f.Offset || formats.PointType(r.u8()) != f.Type || r.u32() != 1 {
					t.Fatalf("field %s mismatch", f.Name)
				}
			}
			if r.u8() != 0 || int(r.u32()) != pc.PointStep || int(r.u32()) != pc.RowStep {
				t.Fatal("steps mismatch")
			}
			dn := int(r.u32())
			if dn != len(pc.Data) || string(r.take(dn, 1)) != string(pc.Data) {
				t.Fatal("data mismatch")
			}
			if dense := r.u8() == 1; dense != pc.Dense {
				t.Fatal("is_dense mismatch")
			}
			if err := r.done(); err != nil {
				t.Fatal(err)
			}
		case 2: // CameraInfo with a fuzzed D
			v := f64s(data, len(data)/8)
			ci := &formats.CameraInfo{Width: len(data), Height: int(kind), DistortionModel: frame + "_model", D: v, BinningX: 1}
			copy(ci.K[:], v)
			err := e.Encode(TypeCameraInfo, stamp, frame, ci)
			if (err != nil) != (terr != nil) {
				t.Fatalf("Encode err %v, stamp err %v", err, terr)
			}
			if err != nil {
				return
			}
			r := newCDRReader(e.Bytes())
			if r.time() != wantStamp || r.str() != frame || int(r.u32()) != ci.Height || int(r.u32()) != ci.Width || r.str() != ci.DistortionModel {
				t.Fatal("header mismatch")
			}
			if int(r.u32()) != len(v) {
				t.Fatal("d length")
			}
			for i := range v {
				if !sameF64(r.f64(), v[i]) {
					t.Fatalf("d[%d]", i)
				}
			}
			for i := range 30 {
				want := 0.0
				if i < 9 && i < len(v) {
					want = v[i]
				}
				if !sameF64(r.f64(), want) {
					t.Fatalf("k/r/p[%d]", i)
				}
			}
			if r.u32() != 1 || r.u32() != 0 {
				t.Fatal("binning")
			}
			for range 4 {
				r.u32()
			}
			r.u8()
			if err := r.done(); err != nil {
				t.Fatal(err)
			}
		case 3: // TFMessage: frames from the fuzzed string, stamps from data
			names := strings.Split(frame, "/")
			tfs := &formats.Transforms{}
			for i, nm := range names {
				st := stamp
				if len(data) > i {
					st = stamp - int64(data[i])
				}
				tfs.Transforms = append(tfs.Transforms, formats.Transform{Stamp: st, Parent: nm, Child: nm + "_c",
					Translation: r3.Vec{X: float64(i)}, Rotation: quat.Number{Real: float64(len(nm))}})
			}
			err := e.Encode(TypeTFMessage, 0, "", tfs)
			anyBad := false
			for _, tf := range tfs.Transforms {
				if _, _, err := splitTime(tf.Stamp); err != nil {
					anyBad = true
				}
			}
			if (err != nil) != anyBad {
				t.Fatalf("Encode err %v, want error %v", err, anyBad)
			}
			if err != nil {
				return
			}
			r := newCDRReader(e.Bytes())
			if int(r.u32()) != len(tfs.Transforms) {
				t.Fatal("count")
			}
			for _, tf := range tfs.Transforms {
				if r.time() != tf.Stamp || r.str() != tf.Parent || r.str() != tf.Child || r.vec() != tf.Translation || r.quat() != tf.Rotation {
					t.Fatalf("transform %s mismatch", tf.Parent)
				}
			}
			if err := r.done(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

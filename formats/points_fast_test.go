package formats_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// allPointTypes are the eight sensor_msgs/PointField types.
var allPointTypes = []formats.PointType{
	formats.PointInt8, formats.PointUint8, formats.PointInt16, formats.PointUint16,
	formats.PointInt32, formats.PointUint32, formats.PointFloat32, formats.PointFloat64,
}

// sameFloat32 is bit equality, except that any two NaNs are equal: the
// generic path widens float32 to float64 and back, which quiets a
// signalling NaN, while the float32 fast path (and the one before it)
// copies the bits.
func sameFloat32(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// diffPoints describes the first difference between two conversions
// (values and errors), or returns "".
func diffPoints(fast *formats.Points, fastErr error, gen *formats.Points, genErr error) string {
	if (fastErr == nil) != (genErr == nil) || fastErr != nil && fastErr.Error() != genErr.Error() {
		return fmt.Sprintf("errors differ: fast %v, generic %v", fastErr, genErr)
	}
	if fastErr != nil {
		return ""
	}
	cols := []struct {
		name    string
		fa, ga  []float32
		present [2]bool
	}{
		{"x", fast.X, gen.X, [2]bool{fast.X != nil, gen.X != nil}},
		{"y", fast.Y, gen.Y, [2]bool{fast.Y != nil, gen.Y != nil}},
		{"z", fast.Z, gen.Z, [2]bool{fast.Z != nil, gen.Z != nil}},
		{"intensity", fast.Intensity, gen.Intensity, [2]bool{fast.Intensity != nil, gen.Intensity != nil}},
	}
	for _, c := range cols {
		if c.present[0] != c.present[1] || len(c.fa) != len(c.ga) {
			return fmt.Sprintf("%s: fast %d values (nil %v), generic %d (nil %v)", c.name, len(c.fa), !c.present[0], len(c.ga), !c.present[1])
		}
		for i := range c.fa {
			if !sameFloat32(c.fa[i], c.ga[i]) {
				return fmt.Sprintf("%s[%d]: fast %v (%#x), generic %v (%#x)", c.name, i, c.fa[i], math.Float32bits(c.fa[i]), c.ga[i], math.Float32bits(c.ga[i]))
			}
		}
	}
	if (fast.Ring == nil) != (gen.Ring == nil) || len(fast.Ring) != len(gen.Ring) {
		return fmt.Sprintf("ring: fast %d values, generic %d", len(fast.Ring), len(gen.Ring))
	}
	for i := range fast.Ring {
		if fast.Ring[i] != gen.Ring[i] {
			return fmt.Sprintf("ring[%d]: fast %d, generic %d", i, fast.Ring[i], gen.Ring[i])
		}
	}
	if (fast.TimeOffset == nil) != (gen.TimeOffset == nil) || len(fast.TimeOffset) != len(gen.TimeOffset) {
		return fmt.Sprintf("time: fast %d values, generic %d", len(fast.TimeOffset), len(gen.TimeOffset))
	}
	for i := range fast.TimeOffset {
		if fast.TimeOffset[i] != gen.TimeOffset[i] {
			return fmt.Sprintf("time[%d]: fast %d, generic %d", i, fast.TimeOffset[i], gen.TimeOffset[i])
		}
	}
	return ""
}

// compareFastGeneric converts pc on both paths and fails on any difference.
func compareFastGeneric(t *testing.T, what string, pc *formats.PointCloud) {
	t.Helper()
	fast, fastErr := pc.Points()
	gen, genErr := pc.PointsGeneric()
	if d := diffPoints(fast, fastErr, gen, genErr); d != "" {
		t.Fatalf("%s: %s", what, d)
	}
}

// fillValues writes plausible values of type typ at offset off of every
// point (the random bytes already there cover the rest): sensor ranges,
// NaN and ±Inf, absolute UNIX seconds, integer extremes.
func fillValues(rng *rand.Rand, data []byte, step, off int, typ formats.PointType, absolute bool) {
	le := binary.LittleEndian
	for o := off; o+typ.Size() <= len(data); o += step {
		b := data[o:]
		v := rng.NormFloat64() * 50
		if absolute {
			v = 1.7e9 + rng.Float64()*0.1
		}
		switch rng.IntN(20) {
		case 0:
			v = math.NaN()
		case 1:
			v = math.Inf(1 - 2*rng.IntN(2))
		case 2:
			v = 0
		}
		switch typ {
		case formats.PointFloat32:
			le.PutUint32(b, math.Float32bits(float32(v)))
		case formats.PointFloat64:
			le.PutUint64(b, math.Float64bits(v))
		case formats.PointUint8, formats.PointInt8:
			b[0] = byte(rng.IntN(256))
		case formats.PointUint16, formats.PointInt16:
			le.PutUint16(b, []uint16{0, 1, 63, 127, 0x7fff, 0x8000, 0xffff, uint16(rng.Uint32())}[rng.IntN(8)])
		case formats.PointUint32, formats.PointInt32:
			le.PutUint32(b, []uint32{0, 1, 99_999_999, 1 << 24, 1<<24 + 1, 0x7fffffff, 0x80000000, 0xffffffff, rng.Uint32()}[rng.IntN(9)])
		}
	}
}

// TestPointsFastMatchesGenericEveryLayout: for every field type, every
// point step from 1 to 32 bytes and every offset at which the field fits,
// a cloud whose x, y, z, intensity, ring and time all read that field
// converts to exactly what the generic path gives, on random bytes and on
// plausible values (NaN, ±Inf, absolute UNIX seconds, integer extremes).
func TestPointsFastMatchesGenericEveryLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	timeNames := []string{"t", "time", "timestamp", "time_offset", "offset_time"}
	ringNames := []string{"ring", "channel", "laser_id", "line"}
	clouds := 0
	for _, typ := range allPointTypes {
		for step := 1; step <= 32; step++ {
			for off := 0; off+typ.Size() <= step; off++ {
				for _, mode := range []string{"random", "values", "absolute"} {
					n := 1 + rng.IntN(40)
					data := make([]byte, n*step)
					for i := range data {
						data[i] = byte(rng.Uint32())
					}
					if mode != "random" {
						fillValues(rng, data, step, off, typ, mode == "absolute")
					}
					f := func(name string) formats.PointField {
						return formats.PointField{Name: name, Offset: off, Type: typ, Count: 1}
					}
					pc := &formats.PointCloud{Width: n, Height: 1, PointStep: step, RowStep: n * step, Data: data,
						Fields: []formats.PointField{f("x"), f("y"), f("z"), f("intensity"),
							f(ringNames[rng.IntN(len(ringNames))]), f(timeNames[rng.IntN(len(timeNames))])}}
					what := fmt.Sprintf("type %d step %d offset %d %s", typ, step, off, mode)
					compareFastGeneric(t, what, pc)
					// The same points as several rows without padding.
					if n%4 == 0 {
						rows := *pc
						rows.Width, rows.Height, rows.RowStep = n/4, 4, n/4*step
						compareFastGeneric(t, what+" 4 rows", &rows)
					}
					clouds++
				}
			}
		}
	}
	if clouds < 4000 {
		t.Fatalf("only %d layouts compared", clouds)
	}
}

// TestPointsFastMatchesGenericRandomClouds: random mixed layouts (each
// field its own type and offset, some not fitting the point step), row
// counts, padded rows, big-endian clouds and short data convert to the
// same values or fail with the same error on both paths.
func TestPointsFastMatchesGenericRandomClouds(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	names := []string{"x", "y", "z", "intensity", "ring", "t"}
	var failures, fastLayouts int
	for k := range 3000 {
		step := 1 + rng.IntN(48)
		width, height := rng.IntN(64), 1+rng.IntN(3)
		rowStep := width * step
		padded := height > 1 && rng.IntN(4) == 0
		if padded {
			rowStep += 1 + rng.IntN(8)
		}
		var fields []formats.PointField
		for _, name := range names {
			typ := allPointTypes[rng.IntN(len(allPointTypes))]
			if rng.IntN(50) == 0 {
				typ = formats.PointType(rng.IntN(12)) // unknown types too
			}
			off := 0
			if sz := typ.Size(); sz <= step {
				off = rng.IntN(step - sz + 1)
			}
			if rng.IntN(40) == 0 {
				off = step - 1 // may not fit
			}
			fields = append(fields, formats.PointField{Name: name, Offset: off, Type: typ, Count: 1})
		}
		if rng.IntN(10) == 0 {
			fields = fields[:3] // x, y, z only
		}
		size := max(0, (height-1)*rowStep+width*step)
		if rng.IntN(20) == 0 {
			size = rng.IntN(size + 1) // short data
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		for _, f := range fields {
			if f.Type.Size() > 0 && rng.IntN(2) == 0 {
				fillValues(rng, data, step, f.Offset, f.Type, f.Name == "t" && rng.IntN(2) == 0)
			}
		}
		pc := &formats.PointCloud{Width: width, Height: height, PointStep: step, RowStep: rowStep,
			BigEndian: rng.IntN(5) == 0, Fields: fields, Data: data}
		if !pc.BigEndian && !padded {
			fastLayouts++
		}
		compareFastGeneric(t, fmt.Sprintf("cloud %d (%d×%d step %d row %d be %v fields %v)", k, width, height, step, rowStep, pc.BigEndian, fields), pc)
		if _, err := pc.Points(); err != nil {
			failures++
		}
	}
	if failures == 0 || failures > 2000 || fastLayouts < 1500 {
		t.Fatalf("%d of 3000 clouds failed, %d on the fast layout: the generator does not cover both outcomes", failures, fastLayouts)
	}
}

// fixtureClouds generates a short log of the minimal fixture rig and
// returns its decoded LiDAR and radar clouds.
func fixtureClouds(tb testing.TB) []*formats.PointCloud {
	tb.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration = 300 * time.Millisecond
	cfg.Rig.SetCameraSize(16, 12)
	var drive bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &drive, nil, nil); err != nil {
		tb.Fatal(err)
	}
	r, err := mcapread.NewReader(bytes.NewReader(drive.Bytes()), int64(drive.Len()), "drive.mcap")
	if err != nil {
		tb.Fatal(err)
	}
	return cloudsOf(tb, logfile.FromMCAP(r, "drive.mcap"))
}

// cloudsOf reads every PointCloud payload of a log.
func cloudsOf(tb testing.TB, lg *logfile.Log) []*formats.PointCloud {
	tb.Helper()
	src, err := lg.Source(logfile.SourceOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []*formats.PointCloud
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if pc, ok := m.Payload.(*formats.PointCloud); ok {
			out = append(out, pc)
		}
	}
	return out
}

// TestPointsFastFixtureClouds: the fixture rig's LiDAR sweeps (x, y, z,
// intensity float32, ring uint16, t uint32 ns) convert identically on both
// paths, and the fast path is the one they take: their points lie at the
// simulated ranges and their time offsets span the sweep period.
func TestPointsFastFixtureClouds(t *testing.T) {
	clouds := fixtureClouds(t)
	lidars := 0
	for i, pc := range clouds {
		compareFastGeneric(t, fmt.Sprintf("fixture cloud %d", i), pc)
		p, err := pc.Points()
		if err != nil {
			t.Fatal(err)
		}
		if p.Ring == nil || p.TimeOffset == nil || p.Len() == 0 {
			continue
		}
		lidars++
		var maxT int64
		maxRing := uint16(0)
		for j := range p.TimeOffset {
			maxT = max(maxT, p.TimeOffset[j])
			maxRing = max(maxRing, p.Ring[j])
		}
		// 10 Hz sweeps: the last point is tens of ms after the first.
		if maxT < 10e6 || maxT > 100e6 || maxRing == 0 {
			t.Errorf("fixture cloud %d: time offsets up to %d ns, rings up to %d", i, maxT, maxRing)
		}
	}
	if lidars < 2 {
		t.Fatalf("%d LiDAR sweeps with ring and time in the fixture log (of %d clouds)", lidars, len(clouds))
	}
}

// TestPointsFastRealClouds: the PointCloud2 messages of the real rosbag2
// test bags (shared data) convert identically on both paths.
func TestPointsFastRealClouds(t *testing.T) {
	n := 0
	for _, rel := range []string{"rosbag2/mcap/test_bag_mcap", "rosbag2/sqlite3/test_bag_sqlite3"} {
		path := shareddata.Dir(t, "rosbag", filepath.FromSlash(rel))
		lg, err := logfile.Open(path, logfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i, pc := range cloudsOf(t, lg) {
			compareFastGeneric(t, fmt.Sprintf("%s cloud %d", rel, i), pc)
			n++
		}
		lg.Close()
	}
	if n < 4 { // 2 PointCloud2 per bag (expected.json)
		t.Fatalf("%d real clouds, want 4", n)
	}
}

// BenchmarkPointsFastVsGeneric converts one urban-rig LiDAR sweep (64 beams
// × 1024 columns: x, y, z, intensity float32, ring uint16, t uint32) on
// each path, then on both alternately ("ratio": its fast/generic metric is
// the fast path's time over the generic path's, measured in one run).
func BenchmarkPointsFastVsGeneric(b *testing.B) {
	rng := rand.New(rand.NewPCG(16, 3))
	pts := make([][6]float64, 64*1024)
	for i := range pts {
		pts[i] = [6]float64{rng.NormFloat64() * 20, rng.NormFloat64() * 20, rng.NormFloat64(), rng.Float64() * 255, float64(i % 64), float64(i / 64 * 97_656)}
	}
	pc := pack(pts, false)
	for _, c := range []struct {
		name string
		conv func() (*formats.Points, error)
	}{{"generic", pc.PointsGeneric}, {"fast", pc.Points}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(pc.Data)))
			for b.Loop() {
				if _, err := c.conv(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ratio", func(b *testing.B) {
		var fastNs, genericNs time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := pc.PointsGeneric(); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := pc.Points(); err != nil {
				b.Fatal(err)
			}
			genericNs += t1.Sub(t0)
			fastNs += time.Since(t1)
		}
		b.ReportMetric(float64(fastNs)/float64(genericNs), "fast/generic")
	})
}

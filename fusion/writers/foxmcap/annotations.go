package foxmcap

import (
	"encoding/binary"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/fusion/fused"
)

// MaxDepthColor is the depth (m) at which the projected-point colour ramp
// reaches its far end (blue); nearer points go towards red.
const MaxDepthColor = 50.0

// DepthColorBins is the number of colours of the depth ramp: the projected
// points of a camera are written as one POINTS annotation per depth bin
// (MaxDepthColor/DepthColorBins m wide, the last one open-ended), coloured
// at the bin's centre, so a point costs its two coordinates and no colour
// of its own.
const DepthColorBins = 32

// annotationsSchemaName is the schema of the projected-points channels.
const annotationsSchemaName = "foxglove.ImageAnnotations"

// depthBin returns the colour bin of a depth (non-finite depths go to the
// nearest bin).
func depthBin(depth float32) int {
	if !finite(depth) || depth <= 0 {
		return 0
	}
	return min(int(float64(depth)/MaxDepthColor*DepthColorBins), DepthColorBins-1)
}

// binColor is the ramp colour at the centre of bin k: red (near) through
// green to blue (far).
func binColor(k int) foxglove.Color {
	s := (float64(k) + 0.5) / DepthColorBins
	return foxglove.Color{R: 1 - s, G: 1 - math.Abs(2*s-1), B: s, A: 1}
}

// appendProjections appends a camera's projected LiDAR points as a
// foxglove.ImageAnnotations protobuf message: one POINTS annotation per
// non-empty depth bin, nearest first, each point in its input order.
// Projection pixels use the OpenCV convention (integer coordinates at
// pixel centres); foxglove's origin is the top-left corner of the top-left
// pixel, hence the half-pixel shift. Points with a non-finite pixel
// coordinate are skipped.
//
// The message is the one foxglove.AppendImageAnnotations writes for those
// annotations (TestAppendProjectionsSameAsFoxglove), but written in place:
// a first pass sizes every bin, a second writes each point at its bin's
// cursor, so no per-bin point lists are built.
func appendProjections(b []byte, c *fused.Camera) []byte {
	var size [DepthColorBins]int // bytes of a bin's point fields
	// Each point's bin, computed once (noBin: skipped).
	const noBin = 0xff
	bin := getBuf(len(c.Projected))[:len(c.Projected)]
	defer putBuf(bin)
	for i, p := range c.Projected {
		if !finite(p.U) || !finite(p.V) {
			bin[i] = noBin
			continue
		}
		k := depthBin(p.Depth)
		bin[i] = uint8(k)
		size[k] += point2FieldSize(float64(p.U)+0.5, float64(p.V)+0.5)
	}
	stamp := max(c.Stamp, 0)
	var cursor [DepthColorBins]int // where a bin's next point goes
	for k, n := range size {
		if n == 0 {
			continue
		}
		// The PointsAnnotation's fields in foxglove's order: timestamp,
		// type, the points, outline colour, (fill colour: zero, left out)
		// and thickness.
		var head, tail [128]byte
		h := appendTimestampField(head[:0], 1, stamp)
		h = protowire.AppendTag(h, 2, protowire.VarintType)
		h = protowire.AppendVarint(h, uint64(foxglove.PointsPoints))
		t := appendColorField(tail[:0], 4, binColor(k))
		t = protowire.AppendTag(t, 7, protowire.Fixed64Type)
		t = protowire.AppendFixed64(t, math.Float64bits(2)) // thickness, px
		b = protowire.AppendTag(b, 2, protowire.BytesType)  // ImageAnnotations.points
		b = protowire.AppendVarint(b, uint64(len(h)+n+len(t)))
		b = append(b, h...)
		// The points' room, not cleared: the second pass writes all of it.
		b = slices.Grow(b, n)
		cursor[k] = len(b)
		b = b[:len(b)+n]
		b = append(b, t...)
	}
	for i, p := range c.Projected {
		if k := bin[i]; k != noBin {
			cursor[k] += putPoint2Field(b[cursor[k]:], float64(p.U)+0.5, float64(p.V)+0.5)
		}
	}
	return b
}

// appendTimestampField appends field num as a google.protobuf.Timestamp
// of ns (ns >= 0): seconds and nanos, each left out when 0.
func appendTimestampField(b []byte, num protowire.Number, ns int64) []byte {
	sec, nsec := uint64(ns/1e9), uint64(ns%1e9)
	n := 0
	if sec != 0 {
		n += 1 + protowire.SizeVarint(sec)
	}
	if nsec != 0 {
		n += 1 + protowire.SizeVarint(nsec)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	if sec != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, sec)
	}
	if nsec != 0 {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, nsec)
	}
	return b
}

// appendColorField appends field num as a foxglove.Color (its non-zero
// components as doubles), or nothing for the all-zero colour.
func appendColorField(b []byte, num protowire.Number, c foxglove.Color) []byte {
	if c == (foxglove.Color{}) {
		return b
	}
	comps := [4]float64{c.R, c.G, c.B, c.A}
	n := 0
	for _, v := range comps {
		n += doubleFieldSize(v)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	for i, v := range comps {
		if math.Float64bits(v) != 0 {
			b = protowire.AppendTag(b, protowire.Number(i+1), protowire.Fixed64Type)
			b = protowire.AppendFixed64(b, math.Float64bits(v))
		}
	}
	return b
}

// point2FieldSize is the size of a foxglove.Point2 as a points field (tag,
// length and its non-zero doubles).
func point2FieldSize(x, y float64) int { return 2 + doubleFieldSize(x) + doubleFieldSize(y) }

func doubleFieldSize(v float64) int {
	if math.Float64bits(v) == 0 {
		return 0
	}
	return 9
}

// putPoint2Field writes a foxglove.Point2 as field 3 (points) of a
// PointsAnnotation at the start of d: tag, length, then x (field 1) and y
// (field 2) as fixed64 doubles, each left out when +0 as proto3 does. It
// returns the bytes written.
func putPoint2Field(d []byte, x, y float64) int {
	const (
		tagPoints = 3<<3 | 2 // field 3, length-delimited
		tagX      = 1<<3 | 1 // field 1, fixed64
		tagY      = 2<<3 | 1 // field 2, fixed64
	)
	d[0] = tagPoints
	d[1] = byte(doubleFieldSize(x) + doubleFieldSize(y))
	n := 2
	if bx := math.Float64bits(x); bx != 0 {
		d[n] = tagX
		binary.LittleEndian.PutUint64(d[n+1:], bx)
		n += 9
	}
	if by := math.Float64bits(y); by != 0 {
		d[n] = tagY
		binary.LittleEndian.PutUint64(d[n+1:], by)
		n += 9
	}
	return n
}

// projectionsSize is an upper bound of appendProjections' output for c:
// a point is at most 21 bytes (tag, length, two doubles), a bin's
// annotation at most 100 bytes beside its points.
func projectionsSize(c *fused.Camera) int {
	return 21*len(c.Projected) + 100*DepthColorBins + 16
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

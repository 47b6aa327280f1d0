package foxglove

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Point2 is a position on an image in pixels (foxglove.Point2): x right, y
// down, the origin at the top-left corner of the top-left pixel.
type Point2 struct{ X, Y float64 }

// Color is an RGBA colour, each component in [0, 1] (foxglove.Color).
type Color struct{ R, G, B, A float64 }

// PointsType is foxglove.PointsAnnotation.Type.
type PointsType int32

// PointsAnnotation types, numbered as in foxglove.PointsAnnotation.Type.
const (
	PointsUnknown   PointsType = 0
	PointsPoints    PointsType = 1 // individual points
	PointsLineLoop  PointsType = 2 // closed polygon
	PointsLineStrip PointsType = 3 // connected segments
	PointsLineList  PointsType = 4 // separate segments 0-1, 2-3, ...
)

// PointsAnnotation is one foxglove.PointsAnnotation.
type PointsAnnotation struct {
	// Stamp is the timestamp in ns (google.protobuf.Timestamp on the wire).
	Stamp  int64
	Type   PointsType
	Points []Point2
	// OutlineColor colours every point or segment, unless OutlineColors
	// gives one colour per point (POINTS) or per segment.
	OutlineColor  Color
	OutlineColors []Color
	FillColor     Color
	// Thickness is the stroke or point size in pixels.
	Thickness float64
}

// ImageAnnotations is the part of foxglove.ImageAnnotations that rigsync
// writes: points annotations (the schema's circles and texts stay empty).
type ImageAnnotations struct {
	Points []PointsAnnotation
}

// Field numbers of the messages AppendImageAnnotations writes (see specs).
const (
	numAnnotationsPoints = 2

	numPointsTimestamp     = 1
	numPointsType          = 2
	numPointsPoints        = 3
	numPointsOutlineColor  = 4
	numPointsOutlineColors = 5
	numPointsFillColor     = 6
	numPointsThickness     = 7
)

// AppendImageAnnotations appends the protobuf encoding of a as the
// foxglove.ImageAnnotations message that Schema("foxglove.ImageAnnotations")
// describes. As a proto3 encoder does, zero scalars and all-zero colours
// are not written.
func AppendImageAnnotations(b []byte, a *ImageAnnotations) []byte {
	// Each PointsAnnotation is written in place after its exact length:
	// encoding it to a scratch buffer first copied every point (tens of
	// thousands of projected LiDAR points a camera) once more.
	for i := range a.Points {
		p := &a.Points[i]
		b = protowire.AppendTag(b, numAnnotationsPoints, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(pointsAnnotationSize(p)))
		b = appendPointsAnnotation(b, p)
	}
	return b
}

// pointsAnnotationSize is the length of appendPointsAnnotation's output
// for p (every field number is below 16: one-byte tags).
func pointsAnnotationSize(p *PointsAnnotation) int {
	sec, nsec := timestampParts(p.Stamp)
	ts := varintFieldSize(uint64(sec)) + varintFieldSize(uint64(nsec))
	n := 1 + protowire.SizeVarint(uint64(ts)) + ts
	if p.Type != 0 {
		n += varintFieldSize(uint64(p.Type))
	}
	for _, pt := range p.Points {
		n += bytesFieldSize(doubleSize(pt.X) + doubleSize(pt.Y))
	}
	n += colorFieldSize(p.OutlineColor, false)
	for _, c := range p.OutlineColors {
		n += colorFieldSize(c, true)
	}
	return n + colorFieldSize(p.FillColor, false) + doubleSize(p.Thickness)
}

// timestampParts splits ns into google.protobuf.Timestamp's seconds and
// nanoseconds (0 ≤ nanos < 1e9).
func timestampParts(ns int64) (sec, nsec int64) {
	sec, nsec = ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	return sec, nsec
}

// varintFieldSize is the size of appendVarintField's output (none for 0).
func varintFieldSize(v uint64) int {
	if v == 0 {
		return 0
	}
	return 1 + protowire.SizeVarint(v)
}

// bytesFieldSize is the size of a length-delimited field of n bytes.
func bytesFieldSize(n int) int { return 1 + protowire.SizeVarint(uint64(n)) + n }

// colorFieldSize is the size of appendColorField's output.
func colorFieldSize(c Color, always bool) int {
	if c == (Color{}) && !always {
		return 0
	}
	return bytesFieldSize(doubleSize(c.R) + doubleSize(c.G) + doubleSize(c.B) + doubleSize(c.A))
}

func appendPointsAnnotation(b []byte, p *PointsAnnotation) []byte {
	sec, nsec := timestampParts(p.Stamp)
	ts := appendVarintField(nil, 1, uint64(sec))
	ts = appendVarintField(ts, 2, uint64(nsec))
	b = protowire.AppendTag(b, numPointsTimestamp, protowire.BytesType)
	b = protowire.AppendBytes(b, ts)
	if p.Type != 0 {
		b = appendVarintField(b, numPointsType, uint64(p.Type))
	}
	for _, pt := range p.Points {
		b = protowire.AppendTag(b, numPointsPoints, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(doubleSize(pt.X)+doubleSize(pt.Y)))
		b = appendDoubleField(b, 1, pt.X)
		b = appendDoubleField(b, 2, pt.Y)
	}
	b = appendColorField(b, numPointsOutlineColor, p.OutlineColor, false)
	for _, c := range p.OutlineColors {
		b = appendColorField(b, numPointsOutlineColors, c, true)
	}
	b = appendColorField(b, numPointsFillColor, p.FillColor, false)
	return appendDoubleField(b, numPointsThickness, p.Thickness)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// doubleSize is the encoded size of a double field (tag and value; 0 for
// the default +0, which is not written).
func doubleSize(v float64) int {
	if math.Float64bits(v) == 0 {
		return 0
	}
	return 9
}

// appendDoubleField writes a double unless it is +0 (the proto3 default).
func appendDoubleField(b []byte, num protowire.Number, v float64) []byte {
	if math.Float64bits(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

// appendColorField writes a Color field; a zero colour is left out unless
// it is an element of a repeated field (whose positions matter).
func appendColorField(b []byte, num protowire.Number, c Color, always bool) []byte {
	if c == (Color{}) && !always {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(doubleSize(c.R)+doubleSize(c.G)+doubleSize(c.B)+doubleSize(c.A)))
	b = appendDoubleField(b, 1, c.R)
	b = appendDoubleField(b, 2, c.G)
	b = appendDoubleField(b, 3, c.B)
	return appendDoubleField(b, 4, c.A)
}

package foxglove

import (
	"bytes"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TestAppendImageAnnotations decodes what AppendImageAnnotations writes
// with the protobuf runtime (dynamicpb, from the FileDescriptorSet that
// Schema serves) and compares every field with the input.
func TestAppendImageAnnotations(t *testing.T) {
	tests := []struct {
		name string
		in   ImageAnnotations
	}{
		{"empty", ImageAnnotations{}},
		{"points with per-point colours", ImageAnnotations{Points: []PointsAnnotation{{
			Stamp: 1_700_000_000_123_456_789, Type: PointsPoints, Thickness: 2,
			Points:        []Point2{{10.5, 20.5}, {0, 7}, {600.75, 0}, {math.Copysign(0, -1), -3}},
			OutlineColors: []Color{{1, 0, 0, 1}, {}, {0, 0.5, 1, 1}, {0.25, 0.25, 0.25, 0.5}},
		}}}},
		{"several annotations", ImageAnnotations{Points: []PointsAnnotation{
			{Stamp: 5, Type: PointsLineLoop, Points: []Point2{{1, 1}, {2, 1}, {2, 2}}, OutlineColor: Color{0, 1, 0, 1},
				FillColor: Color{0, 1, 0, 0.25}, Thickness: 1.5},
			{Stamp: -1_500_000_000, Type: PointsPoints, Points: []Point2{{3, 4}}, OutlineColor: Color{1, 1, 0, 1}},
		}}},
	}
	md := loadSchema(t, "foxglove.ImageAnnotations")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := AppendImageAnnotations(nil, &tc.in)
			m := dynamicpb.NewMessage(md)
			if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(data, m); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if len(m.GetUnknown()) != 0 {
				t.Errorf("unknown fields %x", m.GetUnknown())
			}
			fields := md.Fields()
			if n := m.Get(fields.ByName("circles")).List().Len() + m.Get(fields.ByName("texts")).List().Len(); n != 0 {
				t.Errorf("%d circles and texts, want none", n)
			}
			list := m.Get(fields.ByName("points")).List()
			if list.Len() != len(tc.in.Points) {
				t.Fatalf("%d points annotations, want %d", list.Len(), len(tc.in.Points))
			}
			for i := range tc.in.Points {
				want := &tc.in.Points[i]
				got := list.Get(i).Message()
				pf := got.Descriptor().Fields()
				ts := got.Get(pf.ByName("timestamp")).Message()
				sec, nsec := ts.Get(ts.Descriptor().Fields().ByName("seconds")).Int(), ts.Get(ts.Descriptor().Fields().ByName("nanos")).Int()
				if nsec < 0 || nsec >= 1e9 || sec*1e9+nsec != want.Stamp {
					t.Errorf("#%d: timestamp %d s %d ns, want %d ns", i, sec, nsec, want.Stamp)
				}
				if typ := got.Get(pf.ByName("type")).Enum(); typ != protoreflect.EnumNumber(want.Type) {
					t.Errorf("#%d: type %d, want %d", i, typ, want.Type)
				}
				if th := got.Get(pf.ByName("thickness")).Float(); th != want.Thickness {
					t.Errorf("#%d: thickness %g, want %g", i, th, want.Thickness)
				}
				pts := got.Get(pf.ByName("points")).List()
				if pts.Len() != len(want.Points) {
					t.Fatalf("#%d: %d points, want %d", i, pts.Len(), len(want.Points))
				}
				for k, wp := range want.Points {
					p := pts.Get(k).Message()
					pd := p.Descriptor().Fields()
					if x, y := p.Get(pd.ByName("x")).Float(), p.Get(pd.ByName("y")).Float(); x != wp.X || y != wp.Y {
						t.Errorf("#%d point %d: (%g, %g), want (%g, %g)", i, k, x, y, wp.X, wp.Y)
					}
				}
				color := func(v protoreflect.Message) Color {
					cd := v.Descriptor().Fields()
					return Color{v.Get(cd.ByName("r")).Float(), v.Get(cd.ByName("g")).Float(), v.Get(cd.ByName("b")).Float(), v.Get(cd.ByName("a")).Float()}
				}
				if c := color(got.Get(pf.ByName("outline_color")).Message()); c != want.OutlineColor {
					t.Errorf("#%d: outline_color %v, want %v", i, c, want.OutlineColor)
				}
				if c := color(got.Get(pf.ByName("fill_color")).Message()); c != want.FillColor {
					t.Errorf("#%d: fill_color %v, want %v", i, c, want.FillColor)
				}
				cols := got.Get(pf.ByName("outline_colors")).List()
				if cols.Len() != len(want.OutlineColors) {
					t.Fatalf("#%d: %d outline_colors, want %d", i, cols.Len(), len(want.OutlineColors))
				}
				for k, wc := range want.OutlineColors {
					if c := color(cols.Get(k).Message()); c != wc {
						t.Errorf("#%d colour %d: %v, want %v", i, k, c, wc)
					}
				}
			}
			// The decoder of this package reads it too.
			dec, err := NewDecoder("foxglove.ImageAnnotations", EncodingProtobuf, mustSchema(t, "foxglove.ImageAnnotations"), EncodingProtobuf)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dec.Decode(data); err != nil {
				t.Errorf("Decode: %v", err)
			}
		})
	}
}

func mustSchema(t *testing.T, name string) []byte {
	t.Helper()
	_, data, err := Schema(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPointsAnnotationSize checks the length AppendImageAnnotations writes
// before each PointsAnnotation against its encoding, including the
// longest varints (negative type, stamps far from 0), every colour and
// field set, none set, points at the origin (empty messages) and many
// points; and the whole message against one built from separately
// encoded annotations.
func TestPointsAnnotationSize(t *testing.T) {
	full := Color{R: 0.1, G: 0.2, B: 0.3, A: 1}
	pts := make([]Point2, 1000)
	for i := range pts {
		pts[i] = Point2{X: float64(i) + 0.5, Y: -float64(i) - 0.25}
	}
	cases := []struct {
		name string
		p    PointsAnnotation
	}{
		{"empty", PointsAnnotation{}},
		{"one point", PointsAnnotation{Stamp: 1, Type: PointsPoints, Points: pts[:1], OutlineColor: full, Thickness: 2}},
		{"longest varints", PointsAnnotation{Stamp: math.MinInt64, Type: PointsType(math.MinInt32), Points: pts, OutlineColor: full, FillColor: full, Thickness: -1}},
		{"largest stamp", PointsAnnotation{Stamp: math.MaxInt64, Type: PointsLineList, Points: pts[:7], OutlineColors: []Color{full, {}, full}, FillColor: full, Thickness: 1e300}},
		{"points at the origin", PointsAnnotation{Points: make([]Point2, 50)}},
		{"negative stamp", PointsAnnotation{Stamp: -1, Type: PointsLineLoop, Points: pts[:200], OutlineColors: []Color{{R: 1}}, Thickness: 0.5}},
		{"whole seconds", PointsAnnotation{Stamp: 1709294400 * 1e9, Points: pts[:130], FillColor: Color{A: 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, size := len(appendPointsAnnotation(nil, &c.p)), pointsAnnotationSize(&c.p); got != size {
				t.Fatalf("encoding is %d bytes, pointsAnnotationSize %d", got, size)
			}
			a := &ImageAnnotations{Points: []PointsAnnotation{c.p, {Points: pts[:3]}, c.p}}
			var want []byte
			for i := range a.Points {
				sub := appendPointsAnnotation(nil, &a.Points[i])
				want = protowire.AppendTag(want, numAnnotationsPoints, protowire.BytesType)
				want = protowire.AppendBytes(want, sub)
			}
			if enc := AppendImageAnnotations([]byte{9}, a); !bytes.Equal(enc[1:], want) || enc[0] != 9 {
				t.Fatalf("AppendImageAnnotations differs from the per-annotation encoding")
			}
		})
	}
}

package foxmcap

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

// annotatedPoint is one point of a POINTS annotation as read back.
type annotatedPoint struct {
	X, Y    float64
	R, G, B float64
}

// readAnnotations decodes a foxglove.ImageAnnotations message with the
// protobuf runtime from the FileDescriptorSet of its MCAP schema (as
// Foxglove does), checking the schema and the message's fields.
func readAnnotations(sc *mcap.Schema, data []byte) (pts []annotatedPoint, stamps []int64, err error) {
	if sc == nil {
		return nil, nil, fmt.Errorf("no schema, want foxglove.ImageAnnotations protobuf")
	}
	if sc.Name != "foxglove.ImageAnnotations" || sc.Encoding != "protobuf" {
		return nil, nil, fmt.Errorf("schema %s (%s), want foxglove.ImageAnnotations (protobuf)", sc.Name, sc.Encoding)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(sc.Data, &set); err != nil {
		return nil, nil, err
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, nil, err
	}
	d, err := files.FindDescriptorByName("foxglove.ImageAnnotations")
	if err != nil {
		return nil, nil, err
	}
	m := dynamicpb.NewMessage(d.(protoreflect.MessageDescriptor))
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, nil, err
	}
	if len(m.GetUnknown()) > 0 {
		return nil, nil, fmt.Errorf("unknown fields in the message")
	}
	get := func(m protoreflect.Message, name string) protoreflect.Value {
		return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(name)))
	}
	list := get(m, "points").List()
	for i := 0; i < list.Len(); i++ {
		pa := list.Get(i).Message()
		if typ := get(pa, "type").Enum(); typ != 1 {
			return nil, nil, fmt.Errorf("annotation %d has type %d, want POINTS (1)", i, typ)
		}
		if th := get(pa, "thickness").Float(); th <= 0 {
			return nil, nil, fmt.Errorf("annotation %d has thickness %g", i, th)
		}
		ts := get(pa, "timestamp").Message()
		stamps = append(stamps, get(ts, "seconds").Int()*1e9+get(ts, "nanos").Int())
		oc := get(pa, "outline_color").Message()
		cols := get(pa, "outline_colors").List()
		ps := get(pa, "points").List()
		if cols.Len() != 0 && cols.Len() != ps.Len() {
			return nil, nil, fmt.Errorf("annotation %d: %d colours for %d points", i, cols.Len(), ps.Len())
		}
		for k := 0; k < ps.Len(); k++ {
			p, c := ps.Get(k).Message(), oc
			if cols.Len() > 0 {
				c = cols.Get(k).Message()
			}
			if a := get(c, "a").Float(); a != 1 {
				return nil, nil, fmt.Errorf("annotation %d point %d: alpha %g", i, k, a)
			}
			pts = append(pts, annotatedPoint{X: get(p, "x").Float(), Y: get(p, "y").Float(),
				R: get(c, "r").Float(), G: get(c, "g").Float(), B: get(c, "b").Float()})
		}
	}
	return pts, stamps, nil
}

// colourTolerance is how far a point's colour may be from the ramp at its
// depth (in ramp units, 0 near to 1 far): 32 colours or more.
const colourTolerance = 1.0 / 64

// checkAnnotations compares the annotations of a camera with its
// projections: every finite projection once, shifted by half a pixel, at
// the camera's stamp, coloured by its depth (blue = depth/MaxDepthColor,
// clamped, within colourTolerance; red = 1 − blue).
func checkAnnotations(t *testing.T, sc *mcap.Schema, data []byte, c *fused.Camera) {
	t.Helper()
	pts, stamps, err := readAnnotations(sc, data)
	if err != nil {
		t.Fatalf("annotations of %s: %v", c.Name, err)
	}
	for _, s := range stamps {
		if s != c.Stamp {
			t.Errorf("annotation stamp %d, want the camera's %d", s, c.Stamp)
		}
	}
	type want struct {
		x, y float64
		s    float64
	}
	var wants []want
	for _, p := range c.Projected {
		if finite(p.U) && finite(p.V) {
			wants = append(wants, want{float64(p.U) + 0.5, float64(p.V) + 0.5, math.Min(1, math.Max(0, float64(p.Depth)/MaxDepthColor))})
		}
	}
	if len(pts) != len(wants) {
		t.Fatalf("%s: %d annotated points, want %d", c.Name, len(pts), len(wants))
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].X < pts[j].X || pts[i].X == pts[j].X && pts[i].Y < pts[j].Y })
	sort.Slice(wants, func(i, j int) bool {
		return wants[i].x < wants[j].x || wants[i].x == wants[j].x && wants[i].y < wants[j].y
	})
	for k, w := range wants {
		p := pts[k]
		if p.X != w.x || p.Y != w.y {
			t.Errorf("%s point %d: (%g, %g), want (%g, %g)", c.Name, k, p.X, p.Y, w.x, w.y)
			continue
		}
		if math.Abs(p.B-w.s) > colourTolerance+1e-12 || math.Abs(p.R-(1-p.B)) > 1e-12 {
			t.Errorf("%s point %d at depth ramp %.4f: colour r %.4f b %.4f", c.Name, k, w.s, p.R, p.B)
		}
	}
}

// TestAnnotationsProtobuf writes frames with many projected points and
// reads the annotations back with the protobuf runtime; it reports the
// size per message.
func TestAnnotationsProtobuf(t *testing.T) {
	frames := []*fused.Frame{testFrame(t, 0), testFrame(t, 1)}
	// A dense projection: 20000 points over a 1280×800 image at depths
	// 0.5 to 100 m, some invalid.
	var proj []fused.Projection
	for k := 0; k < 20000; k++ {
		p := fused.Projection{U: float32(k%1280) + 0.25, V: float32(k/1280*50%800) + 0.75, Depth: 0.5 + float32(k%200)/2, Index: int32(k)}
		switch k % 997 {
		case 5:
			p.U = float32(math.Inf(1))
		case 6:
			p.Depth = float32(math.NaN())
		}
		proj = append(proj, p)
	}
	frames[1].Cameras[0].Projected = proj
	var buf bytes.Buffer
	w, err := New(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.Write(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := mcapread.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "fused.mcap")
	if err != nil {
		t.Fatal(err)
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		m, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Channel.Topic != "/cam_front/lidar" {
			continue
		}
		if m.Channel.MessageEncoding != "protobuf" {
			t.Errorf("message encoding %q, want protobuf", m.Channel.MessageEncoding)
		}
		c := &frames[n].Cameras[0]
		checkAnnotations(t, m.Channel.Schema, m.Data, c)
		t.Logf("frame %d: %d projections, annotations message %d bytes (%.1f bytes per point)",
			n, len(c.Projected), len(m.Data), float64(len(m.Data))/float64(len(c.Projected)))
		n++
	}
	if n != len(frames) {
		t.Errorf("%d annotation messages, want %d", n, len(frames))
	}
}

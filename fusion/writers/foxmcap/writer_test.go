package foxmcap

import (
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

const t0 = int64(1_700_000_000_000_000_000)

func mustT(t testing.TB, w, x, y, z float64, tr r3.Vec) se3.Transform {
	t.Helper()
	T, err := se3.FromQuatWXYZ(w, x, y, z, tr)
	if err != nil {
		t.Fatal(err)
	}
	return T
}

var jpegBytes = []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9} // opaque to the writer

func testFrame(t testing.TB, i int) *fused.Frame {
	stamp := t0 + int64(i)*100_000_000
	f := &fused.Frame{Index: i, Stamp: stamp, FrameID: "base_link",
		Ego: mustT(t, 0.8, 0.1, 0.2, 0.3, r3.Vec{X: float64(i), Y: -2, Z: 0.5})}
	var p formats.Points
	var src []uint8
	for k := 0; k < 20; k++ {
		p.X = append(p.X, float32(k))
		p.Y = append(p.Y, float32(-k)*0.5)
		p.Z = append(p.Z, 0.25)
		p.Intensity = append(p.Intensity, float32(100+k))
		p.Ring = append(p.Ring, uint16(k%16))
		src = append(src, uint8(k%2))
	}
	f.Lidar = &fused.Cloud{Points: p, Source: src, Sources: []string{"lidar_a", "lidar_b"}}
	f.Radar = &fused.RadarCloud{X: []float32{30, 31}, Y: []float32{1, -1}, Z: []float32{0.5, 0.6},
		RadialVelocity: []float32{0.1, -5}, RawRadialVelocity: []float32{-9.9, -15}, RCS: []float32{3, 7},
		Source: []uint8{0, 0}, Sources: []string{"radar_front"}}
	f.Cameras = []fused.Camera{{
		Name: "cam_front", Stamp: stamp + 5_000_000,
		Image: &formats.CompressedImage{Format: "rgb8; jpeg compressed bgr8", Data: jpegBytes},
		Info: formats.CameraInfo{Width: 640, Height: 480, DistortionModel: "equidistant", D: []float64{0.1, 0.01, 0, 0},
			K: [9]float64{500, 0, 320, 0, 500, 240, 0, 0, 1}, R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
			P: [12]float64{500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0}},
		BaseCamera: mustT(t, 1, 0, 0, 0.1, r3.Vec{X: 1.5, Z: 1.4}).Mul(se3.LinkToOptical),
		Projected: []fused.Projection{{U: 10, V: 20, Depth: 5, Index: 3}, {U: float32(math.NaN()), V: 1, Depth: 1, Index: 4},
			{U: 600.25, V: 470, Depth: 80, Index: 7}},
	}}
	return f
}

func TestReadBack(t *testing.T) {
	var buf bytes.Buffer
	baseLidar := mustT(t, 0.9, 0, 0, 0.2, r3.Vec{X: 1, Z: 1.9})
	w, err := New(&buf, Options{Extrinsics: map[string]se3.Transform{"lidar_a": baseLidar}})
	if err != nil {
		t.Fatal(err)
	}
	frames := []*fused.Frame{testFrame(t, 0), testFrame(t, 1), testFrame(t, 2)}
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
	if ws := r.Warnings(); len(ws) > 0 {
		t.Errorf("warnings: %v", ws)
	}
	if _, trusted := r.Summary(); !trusted {
		t.Error("summary not trusted")
	}
	wantSchema := map[string]string{
		"/tf": "foxglove.FrameTransforms", "/lidar": "foxglove.PointCloud", "/radar": "foxglove.PointCloud",
		"/cam_front/image": "foxglove.CompressedImage", "/cam_front/camera_info": "foxglove.CameraCalibration",
		"/cam_front/lidar": "foxglove.ImageAnnotations",
	}
	for _, ch := range r.Channels() {
		if ch.Schema == nil || wantSchema[ch.Topic] != ch.Schema.Name || ch.Schema.Encoding != "protobuf" || ch.MessageEncoding != "protobuf" {
			t.Errorf("channel %s: schema %v encoding %s", ch.Topic, schemaString(ch.Schema), ch.MessageEncoding)
		}
		delete(wantSchema, ch.Topic)
	}
	if len(wantSchema) > 0 {
		t.Errorf("missing channels %v", wantSchema)
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ds decode.Decoders
	count := map[string]int{}
	for {
		m, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			t.Fatalf("%s: %v", m.Channel.Topic, err)
		}
		i := count[msg.Topic]
		count[msg.Topic]++
		f := frames[i]
		cam := &f.Cameras[0]
		wantStamp := f.Stamp
		if strings.HasPrefix(msg.Topic, "/cam_front") {
			wantStamp = cam.Stamp
		}
		if msg.Stamp != wantStamp || msg.LogTime != wantStamp {
			t.Errorf("%s #%d: stamp %d log time %d, want %d", msg.Topic, i, msg.Stamp, msg.LogTime, wantStamp)
		}
		switch msg.Topic {
		case "/lidar":
			pc := msg.Payload.(*formats.PointCloud)
			if msg.FrameID != "base_link" {
				t.Errorf("lidar frame %q", msg.FrameID)
			}
			pts, err := pc.Points()
			if err != nil {
				t.Fatal(err)
			}
			want := f.Lidar.Points
			for k := range want.X {
				if pts.X[k] != want.X[k] || pts.Y[k] != want.Y[k] || pts.Z[k] != want.Z[k] ||
					pts.Intensity[k] != want.Intensity[k] || pts.Ring[k] != want.Ring[k] {
					t.Fatalf("lidar point %d: %v %v %v %v %v", k, pts.X[k], pts.Y[k], pts.Z[k], pts.Intensity[k], pts.Ring[k])
				}
			}
			sf, ok := pc.Field("source")
			if !ok || pc.Data[19*7+sf.Offset] != 1 {
				t.Errorf("lidar source field %+v", sf)
			}
		case "/radar":
			pc := msg.Payload.(*formats.PointCloud)
			f32 := func(k int, name string) float32 {
				fd, ok := pc.Field(name)
				if !ok {
					t.Fatalf("radar field %s missing", name)
				}
				o := k*pc.PointStep + fd.Offset
				return math.Float32frombits(uint32(pc.Data[o]) | uint32(pc.Data[o+1])<<8 | uint32(pc.Data[o+2])<<16 | uint32(pc.Data[o+3])<<24)
			}
			if f32(1, "x") != 31 || f32(1, "radial_velocity") != -5 || f32(1, "raw_radial_velocity") != -15 || f32(1, "rcs") != 7 {
				t.Errorf("radar detection 1: x %v v %v raw %v rcs %v", f32(1, "x"), f32(1, "radial_velocity"), f32(1, "raw_radial_velocity"), f32(1, "rcs"))
			}
		case "/cam_front/image":
			img := msg.Payload.(*formats.CompressedImage)
			if img.Format != "jpeg" || !bytes.Equal(img.Data, jpegBytes) || msg.FrameID != "cam_front" {
				t.Errorf("image format %q frame %q data %x", img.Format, msg.FrameID, img.Data)
			}
		case "/cam_front/camera_info":
			ci := msg.Payload.(*formats.CameraInfo)
			if ci.K != cam.Info.K || ci.P != cam.Info.P || ci.Width != 640 || ci.Height != 480 || msg.FrameID != "cam_front" {
				t.Errorf("calibration %+v frame %q", ci, msg.FrameID)
			}
			if ci.DistortionModel != "kannala_brandt" || len(ci.D) != 4 || ci.D[0] != 0.1 {
				t.Errorf("distortion %q %v, want kannala_brandt [0.1 0.01 0 0]", ci.DistortionModel, ci.D)
			}
		case "/tf":
			tfs := msg.Payload.(*formats.Transforms)
			want := map[string]struct {
				parent string
				stamp  int64
				T      se3.Transform
			}{
				"base_link": {"world", f.Stamp, f.Ego},
				"lidar_a":   {"base_link", f.Stamp, baseLidar},
				"cam_front": {"base_link", cam.Stamp, cam.BaseCamera},
			}
			if len(tfs.Transforms) != len(want) {
				t.Fatalf("%d transforms, want %d", len(tfs.Transforms), len(want))
			}
			for _, tr := range tfs.Transforms {
				wt, ok := want[tr.Child]
				if !ok || tr.Parent != wt.parent || tr.Stamp != wt.stamp {
					t.Errorf("transform %s→%s at %d", tr.Parent, tr.Child, tr.Stamp)
					continue
				}
				// Map a point with the decoded transform and with the truth.
				got := se3.Transform{Rot: tr.Rotation, Trans: tr.Translation}
				p := r3.Vec{X: 1, Y: 2, Z: 3}
				if d := r3.Norm(r3.Sub(got.Apply(p), wt.T.Apply(p))); d > 1e-9 {
					t.Errorf("transform %s→%s maps a point %g m off", tr.Parent, tr.Child, d)
				}
			}
		case "/cam_front/lidar":
			// The NaN projection is skipped; pixel centres move by half a
			// pixel to foxglove's corner origin; depth 5 m is near (red),
			// 80 m clamps to far (blue).
			checkAnnotations(t, m.Channel.Schema, m.Data, cam)
			if _, ok := msg.Payload.(*formats.Generic); !ok {
				t.Errorf("annotations decode to %T", msg.Payload)
			}
		default:
			t.Errorf("unexpected topic %s", msg.Topic)
		}
	}
	for _, topic := range []string{"/tf", "/lidar", "/radar", "/cam_front/image", "/cam_front/camera_info", "/cam_front/lidar"} {
		if count[topic] != 3 {
			t.Errorf("%s: %d messages, want 3", topic, count[topic])
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := New(io.Discard, Options{Compression: "brotli"}); err == nil {
		t.Error("unknown compression accepted")
	}
	tests := []struct {
		name string
		mod  func(f *fused.Frame)
	}{
		{"lidar columns", func(f *fused.Frame) { f.Lidar.Points.Z = nil }},
		{"lidar source", func(f *fused.Frame) { f.Lidar.Source = f.Lidar.Source[:2] }},
		{"radar columns", func(f *fused.Frame) { f.Radar.RCS = []float32{1} }},
		{"camera payload", func(f *fused.Frame) { f.Cameras[0].Image = nil }},
		{"big-endian raw image", func(f *fused.Frame) {
			f.Cameras[0].Image = &formats.Image{Width: 1, Height: 1, Encoding: "mono16", BigEndian: true, Step: 2, Data: []byte{0, 0}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(io.Discard, Options{})
			if err != nil {
				t.Fatal(err)
			}
			f := testFrame(t, 0)
			tc.mod(f)
			if err := w.Write(context.Background(), f); err == nil || !strings.HasPrefix(err.Error(), "foxmcap: ") {
				t.Errorf("err = %v, want a foxmcap error", err)
			}
		})
	}
}

func schemaString(sc *mcap.Schema) string {
	if sc == nil {
		return "none"
	}
	return sc.Name + " (" + sc.Encoding + ")"
}

// TestCameraTopicsDistinct (issue 17 item 5): "cam/front" and "cam_front"
// sanitise alike but keep two topics (they shared one), and a 1,000-byte
// camera name gives a topic segment cut to 100 bytes.
func TestCameraTopicsDistinct(t *testing.T) {
	long := strings.Repeat("x", 1000)
	var buf bytes.Buffer
	w, err := New(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		f := testFrame(t, i)
		c := f.Cameras[0]
		a, b, l := c, c, c
		a.Name, b.Name, l.Name = "cam/front", "cam_front", long
		f.Cameras = []fused.Camera{a, b, l}
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
	frames := map[string]map[string]bool{} // image topic → frame ids
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ds decode.Decoders
	for {
		m, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(m.Channel.Topic, "/image") {
			continue
		}
		msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			t.Fatal(err)
		}
		if frames[m.Channel.Topic] == nil {
			frames[m.Channel.Topic] = map[string]bool{}
		}
		frames[m.Channel.Topic][msg.FrameID] = true
	}
	if len(frames) != 3 {
		t.Fatalf("image topics %v, want 3", frames)
	}
	for topic, ids := range frames {
		if len(ids) != 1 {
			t.Errorf("%s carries frames %v, want one camera", topic, ids)
		}
		if len(topic) > 1+100+len("/image") {
			t.Errorf("topic of %d bytes", len(topic))
		}
	}
}

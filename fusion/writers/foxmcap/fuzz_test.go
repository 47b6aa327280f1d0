package foxmcap

import (
	"bytes"
	"context"
	"io"
	"math"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

// FuzzWrite writes a frame whose LiDAR and radar columns have fuzzed
// lengths and values: Write must return an error or produce an MCAP that
// reads back without warnings with the same number of points.
func FuzzWrite(f *testing.F) {
	f.Add([]byte{3, 3, 3, 3, 3, 2, 2, 2}, []byte("0123456789abcdef"))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, []byte{})
	f.Add([]byte{5, 5, 4, 5, 5, 1, 1, 1}, []byte{0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, lens []byte, vals []byte) {
		if len(lens) < 8 {
			return
		}
		col := func(n byte) []float32 {
			c := make([]float32, n%32)
			for i := range c {
				if len(vals) > 0 {
					c[i] = float32(int8(vals[i%len(vals)])) * 0.5
				}
			}
			return c
		}
		fr := &fused.Frame{Stamp: 1e9, FrameID: "base_link",
			Lidar: &fused.Cloud{Points: formats.Points{X: col(lens[0]), Y: col(lens[1]), Z: col(lens[2]),
				Intensity: col(lens[3]), Ring: make([]uint16, lens[4]%32)}},
			Radar: &fused.RadarCloud{X: col(lens[5]), Y: col(lens[6]), Z: col(lens[7])}}
		var buf bytes.Buffer
		w, err := New(&buf, Options{Compression: "none"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(context.Background(), fr); err != nil {
			return
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := mcapread.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "fuzz.mcap")
		if err != nil {
			t.Fatal(err)
		}
		if ws := r.Warnings(); len(ws) > 0 {
			t.Fatal(ws)
		}
		it, err := r.Messages(mcapread.Options{Topics: []string{TopicLidar}})
		if err != nil {
			t.Fatal(err)
		}
		var ds decode.Decoders
		m, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			t.Fatal(err)
		}
		pc := msg.Payload.(*formats.PointCloud)
		if pc.Len() != len(fr.Lidar.Points.X) {
			t.Fatalf("%d points back, wrote %d", pc.Len(), len(fr.Lidar.Points.X))
		}
		if pc.Len() == 0 {
			return // formats.PointCloud.Points panics on an empty cloud (reported)
		}
		pts, err := pc.Points()
		if err != nil {
			t.Fatal(err)
		}
		if pts.Len() != len(fr.Lidar.Points.X) {
			t.Fatalf("%d points back, wrote %d", pts.Len(), len(fr.Lidar.Points.X))
		}
		for i := range pts.X {
			if pts.X[i] != fr.Lidar.Points.X[i] && !math.IsNaN(float64(pts.X[i])) {
				t.Fatalf("point %d x %v, wrote %v", i, pts.X[i], fr.Lidar.Points.X[i])
			}
		}
		if _, err := it.Next(); err != io.EOF {
			t.Fatalf("second lidar message: %v", err)
		}
	})
}

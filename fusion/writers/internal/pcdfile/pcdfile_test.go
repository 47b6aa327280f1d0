package pcdfile

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

func TestXYZI(t *testing.T) {
	cases := []struct {
		name  string
		cloud *fused.Cloud
		want  []r3.Vec
		inten []float32
		err   string
	}{
		{name: "nil cloud", cloud: nil},
		{name: "points", cloud: &fused.Cloud{Points: formats.Points{X: []float32{1, -2}, Y: []float32{2, 0}, Z: []float32{3, 0.5}, Intensity: []float32{7, 9}}},
			want: []r3.Vec{{X: 1, Y: 2, Z: 3}, {X: -2, Z: 0.5}}, inten: []float32{7, 9}},
		{name: "no intensity", cloud: &fused.Cloud{Points: formats.Points{X: []float32{1}, Y: []float32{2}, Z: []float32{3}}},
			want: []r3.Vec{{X: 1, Y: 2, Z: 3}}, inten: []float32{0}},
		{name: "ragged xyz", cloud: &fused.Cloud{Points: formats.Points{X: []float32{1}, Y: []float32{2, 3}, Z: []float32{3}}}, err: "x, y, z have 1, 2, 1"},
		{name: "ragged intensity", cloud: &fused.Cloud{Points: formats.Points{X: []float32{1}, Y: []float32{2}, Z: []float32{3}, Intensity: []float32{1, 2}}}, err: "intensity has 2 values"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := XYZI(c.cloud)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want …%s…", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			head, data, ok := bytes.Cut(b, []byte("DATA binary\n"))
			if !ok || !bytes.Contains(head, []byte("\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\n")) || bytes.Contains(head[2:], []byte("#")) {
				t.Fatalf("header %q", head)
			}
			pts, err := pcd.Read(bytes.NewReader(b))
			if err != nil || len(pts) != len(c.want) {
				t.Fatalf("read back %v, %v; want %v", pts, err, c.want)
			}
			for i := range pts {
				if pts[i] != c.want[i] {
					t.Errorf("point %d = %v, want %v", i, pts[i], c.want[i])
				}
				if got := math.Float32frombits(binary.LittleEndian.Uint32(data[16*i+12:])); got != c.inten[i] {
					t.Errorf("intensity %d = %g, want %g", i, got, c.inten[i])
				}
			}
		})
	}
}

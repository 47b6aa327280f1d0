package pcd

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"
)

func TestRoundTrip(t *testing.T) {
	pts := []r3.Vec{{X: 1, Y: 2, Z: 3}, {X: -0.5, Y: 1e-3, Z: 1234.5}, {}}
	for _, bin := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, pts, bin); err != nil {
			t.Fatal(err)
		}
		got, err := Read(&buf)
		if err != nil {
			t.Fatalf("binary=%v: %v", bin, err)
		}
		if len(got) != len(pts) {
			t.Fatalf("binary=%v: %d points", bin, len(got))
		}
		for i := range pts {
			if r3.Norm(r3.Sub(got[i], pts[i])) > 1e-4 {
				t.Errorf("binary=%v point %d: %v want %v", bin, i, got[i], pts[i])
			}
		}
	}
}

// A PCL-style file with extra fields, F8 coordinates and a NaN hole.
func TestPCLFile(t *testing.T) {
	in := `# .PCD v0.7
VERSION 0.7
FIELDS intensity x y z rgb
SIZE 4 8 8 8 4
TYPE F F F F U
COUNT 1 1 1 1 1
WIDTH 3
HEIGHT 1
VIEWPOINT 0 0 0 1 0 0 0
POINTS 3
DATA ascii
5 1.5 2.5 3.5 4278190080
7 nan nan nan 0
9 -1 -2 -3 1
`
	got, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []r3.Vec{{X: 1.5, Y: 2.5, Z: 3.5}, {X: -1, Y: -2, Z: -3}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v", got)
	}
}

func TestBad(t *testing.T) {
	hdr := "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 2\nHEIGHT 1\nPOINTS 2\n"
	cases := map[string]string{
		"short binary":  hdr + "DATA binary\n\x00\x00",
		"short ascii":   hdr + "DATA ascii\n1 2 3\n",
		"bad token":     hdr + "DATA ascii\n1 2 x\n1 2 3\n",
		"no z":          "FIELDS x y\nSIZE 4 4\nTYPE F F\nPOINTS 0\nDATA ascii\n",
		"compressed":    hdr + "DATA binary_compressed\n",
		"huge":          strings.Replace(hdr, "POINTS 2", "POINTS 999999999999", 1) + "DATA binary\n",
		"int xyz":       "FIELDS x y z\nSIZE 4 4 4\nTYPE I I I\nPOINTS 0\nDATA ascii\n",
		"no data":       hdr,
		"size mismatch": "FIELDS x y z\nSIZE 4 4\nTYPE F F F\nPOINTS 0\nDATA ascii\n",
	}
	for name, in := range cases {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzRead(f *testing.F) {
	var a, b bytes.Buffer
	Write(&a, []r3.Vec{{X: 1, Y: 2, Z: 3}}, false)
	Write(&b, []r3.Vec{{X: 1, Y: 2, Z: 3}, {X: 4}}, true)
	f.Add(a.Bytes())
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		pts, err := Read(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(pts) > len(in) {
			t.Fatalf("%d points from %d bytes", len(pts), len(in))
		}
	})
}

// TestAppendHeader: the header of an arbitrary field layout is the PCD
// v0.7 text PCL writes, and Read takes it (with its binary points) back,
// skipping the fields it does not keep.
func TestAppendHeader(t *testing.T) {
	fields := []Field{NewField("x", 'F', 4), NewField("y", 'F', 4), NewField("z", 'F', 4), NewField("t", 'I', 8), NewField("ring", 'U', 2)}
	h := AppendHeader([]byte("prefix:"), "a test cloud", fields, 2, "binary")
	want := "prefix:# .PCD v0.7 - a test cloud\nVERSION 0.7\nFIELDS x y z t ring\nSIZE 4 4 4 8 2\nTYPE F F F I U\nCOUNT 1 1 1 1 1\n" +
		"WIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA binary\n"
	if string(h) != want {
		t.Fatalf("header:\n%s\nwant:\n%s", h, want)
	}
	b := h[len("prefix:"):]
	for _, p := range [][3]float32{{1, 2, 3}, {-4, 5.5, 6}} {
		for _, v := range p {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		b = binary.LittleEndian.AppendUint64(b, 123456789)
		b = binary.LittleEndian.AppendUint16(b, 7)
	}
	pts, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0] != (r3.Vec{X: 1, Y: 2, Z: 3}) || pts[1] != (r3.Vec{X: -4, Y: 5.5, Z: 6}) {
		t.Errorf("read back %v", pts)
	}
}

package nuscenes

import (
	"encoding/binary"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// FuzzRawImage feeds arbitrary raw image layouts (size, step, encoding,
// bytes) to the raw-image converter: it must return an error or an image of
// the declared size, never panic or read past the data.
func FuzzRawImage(f *testing.F) {
	f.Add(uint16(2), uint16(2), uint16(6), uint8(1), []byte("abcdefghijkl"))
	f.Add(uint16(3), uint16(1), uint16(3), uint8(0), []byte("abc"))
	f.Add(uint16(1), uint16(3), uint16(4), uint8(3), []byte("abcdefghijkl"))
	f.Add(uint16(0xffff), uint16(0xffff), uint16(0), uint8(2), []byte{})
	encs := []string{"mono8", "rgb8", "bgr8", "bgra8", "rgba8", "16UC1"}
	f.Fuzz(func(t *testing.T, w, h, step uint16, enc uint8, data []byte) {
		p := &formats.Image{Width: int(w), Height: int(h), Step: int(step), Encoding: encs[int(enc)%len(encs)], Data: data}
		img, err := rawImage(p)
		if err != nil {
			return
		}
		if b := img.Bounds(); b.Dx() != int(w) || b.Dy() != int(h) {
			t.Fatalf("image %v for %dx%d", b, w, h)
		}
	})
}

// FuzzRadarPCD writes arbitrary detections and checks the layout the
// devkit's line-position reader depends on: WIDTH/POINTS, 43 bytes per
// point after the DATA line, and one trailing byte.
func FuzzRadarPCD(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 43*3))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var pts []RadarPoint
		for len(raw) >= 12 {
			le := binary.LittleEndian
			pts = append(pts, RadarPoint{X: float32(int32(le.Uint32(raw))), Y: float32(int32(le.Uint32(raw[4:]))),
				ID: int16(le.Uint16(raw[8:])), DynProp: int8(raw[10]), AmbigState: int8(raw[11])})
			raw = raw[12:]
		}
		b := AppendRadarPCD(nil, pts)
		n := max(len(pts), 1)
		hdr := len(b) - 43*n - 1
		if hdr <= 0 || b[len(b)-1] != '\n' {
			t.Fatalf("%d bytes for %d points", len(b), n)
		}
		if string(b[hdr-12:hdr]) != "DATA binary\n" {
			t.Fatalf("data does not start after the DATA line: %q", b[hdr-12:hdr])
		}
	})
}

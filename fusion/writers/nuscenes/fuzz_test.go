package nuscenes

import (
	"encoding/binary"
	"testing"
)

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

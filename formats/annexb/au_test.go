package annexb_test

import (
	"testing"

	"github.com/rigsync/rigsync/formats/annexb"
	"github.com/rigsync/rigsync/formats/videodec/videotest"
)

func TestAccessUnitsSynthetic(t *testing.T) {
	j := annexb.Join
	aud, sps, pps, sei := []byte{0x09, 0xf0}, []byte{0x67, 1}, []byte{0x68, 2}, []byte{0x06, 5}
	idr0, idr1 := []byte{0x65, 0x88}, []byte{0x65, 0x20} // first_mb 0, then a second slice
	p0, p1 := []byte{0x41, 0x9a}, []byte{0x41, 0x10}
	stream := j(nil, sps, pps, sei, idr0, idr1, p0, aud, p0, p1, sei, p0)
	got := annexb.AccessUnits(annexb.H264, stream)
	want := [][]byte{j(nil, sps, pps, sei, idr0, idr1), j(nil, p0), j(nil, aud, p0, p1), j(nil, sei, p0)}
	if len(got) != len(want) {
		t.Fatalf("%d access units, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Errorf("AU %d = %x, want %x", i, got[i], want[i])
		}
	}
}

// TestAccessUnitsFFmpeg cuts streams that Debian's ffmpeg encodes and
// checks the count and the keyframes against the encoder settings (n
// frames, a keyframe every g; videotest itself checks the count).
func TestAccessUnitsFFmpeg(t *testing.T) {
	const n, g = 12, 5
	for _, codec := range []string{annexb.H264, annexb.H265} {
		t.Run(codec, func(t *testing.T) {
			aus := videotest.Encode(t, videotest.Stream{Codec: codec, Width: 160, Height: 120, Frames: n, GOP: g})
			for i, au := range aus {
				info := annexb.Inspect(codec, au)
				if info.Keyframe != (i%g == 0) {
					t.Errorf("AU %d: keyframe %v", i, info.Keyframe)
				}
				if i == 0 && !info.HasParams {
					t.Errorf("first AU lacks parameter sets")
				}
			}
		})
	}
}

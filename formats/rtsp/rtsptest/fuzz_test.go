package rtsptest

import (
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// FuzzSplitAccessUnits: never panics, and the units hold exactly the
// stream's NAL units, in order.
func FuzzSplitAccessUnits(f *testing.F) {
	f.Add(true, []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xCE, 0, 0, 0, 1, 0x65, 0x88, 1, 0, 0, 1, 0x41, 0x9A})
	f.Add(false, []byte{0, 0, 0, 1, 0x40, 0x01, 0, 0, 0, 0, 1, 0x26, 0x01, 0xAF, 0, 0, 1, 0x02, 0x01, 0x80})
	f.Fuzz(func(t *testing.T, is264 bool, stream []byte) {
		codec := H265
		if is264 {
			codec = H264
		}
		aus, err := SplitAccessUnits(codec, stream)
		if err != nil {
			return
		}
		var want h264.AnnexB
		if err := want.Unmarshal(stream); err != nil {
			t.Fatalf("split a stream the Annex-B reader rejects: %v", err)
		}
		var got [][]byte
		for _, au := range aus {
			if len(au) == 0 {
				t.Fatal("empty access unit")
			}
			got = append(got, au...)
		}
		var nonEmpty [][]byte
		for _, n := range want {
			if len(n) > 0 && (codec == H264 || len(n) >= 3) {
				nonEmpty = append(nonEmpty, n)
			}
		}
		if len(got) != len(nonEmpty) {
			t.Fatalf("%d NAL units in the units, %d in the stream", len(got), len(nonEmpty))
		}
		for i := range got {
			if string(got[i]) != string(nonEmpty[i]) {
				t.Fatalf("NAL unit %d differs", i)
			}
		}
	})
}

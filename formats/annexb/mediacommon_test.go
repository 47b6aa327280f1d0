package annexb

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// trimmed is what Split makes of mediacommon's NAL units: trailing zero
// bytes trimmed, NAL units left empty dropped.
func trimmed(nalus [][]byte) [][]byte {
	var out [][]byte
	for _, n := range nalus {
		n = bytes.TrimRight(n, "\x00")
		if len(n) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// startsWithCode reports whether data opens with a 3- or 4-byte start code.
func startsWithCode(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0, 0, 1}) || bytes.HasPrefix(data, []byte{0, 0, 0, 1})
}

// TestSplitMatchesMediacommon pins where Split agrees with mediacommon's
// h264.AnnexB.Unmarshal and where it is more tolerant (the cases a camera
// stream or a whole ffmpeg elementary stream needs).
func TestSplitMatchesMediacommon(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []byte
		split [][]byte // Split's answer
		mc    [][]byte // Unmarshal's NAL units, when it succeeds
		mcErr bool     // Unmarshal fails
	}{
		{"4-byte codes", []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2},
			[][]byte{{0x67, 1}, {0x68, 2}}, [][]byte{{0x67, 1}, {0x68, 2}}, false},
		{"3-byte codes", []byte{0, 0, 1, 0x65, 9, 9, 0, 0, 1, 0x41},
			[][]byte{{0x65, 9, 9}, {0x41}}, [][]byte{{0x65, 9, 9}, {0x41}}, false},
		{"mixed codes", []byte{0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65, 0, 0, 3, 1},
			[][]byte{{0x09, 0xf0}, {0x65, 0, 0, 3, 1}}, [][]byte{{0x09, 0xf0}, {0x65, 0, 0, 3, 1}}, false},
		{"empty NAL", []byte{0, 0, 1, 0, 0, 1, 0x09, 0xf0},
			[][]byte{{0x09, 0xf0}}, [][]byte{{0x09, 0xf0}}, false},
		// trailing_zero_8bits belong to the byte stream, not to the NAL unit.
		{"trailing zeros", []byte{0, 0, 0, 1, 0x65, 7, 0, 0, 0, 0, 1, 0x41, 0, 0},
			[][]byte{{0x65, 7}, {0x41}}, [][]byte{{0x65, 7, 0}, {0x41, 0, 0}}, false},
		{"leading bytes", []byte{7, 7, 0, 0, 1, 0x65},
			[][]byte{{0x65}}, nil, true},
		{"no start code", []byte{0x65, 1, 2},
			nil, nil, true},
		{"only start codes", []byte{0, 0, 0, 1, 0, 0, 1},
			nil, nil, true},
		{"empty", nil, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Split(tc.in); fmt.Sprint(got) != fmt.Sprint(tc.split) {
				t.Errorf("Split = %x, want %x", got, tc.split)
			}
			var au h264.AnnexB
			err := au.Unmarshal(tc.in)
			if (err != nil) != tc.mcErr {
				t.Fatalf("Unmarshal error %v, want error %v", err, tc.mcErr)
			}
			if err != nil {
				return
			}
			if fmt.Sprint([][]byte(au)) != fmt.Sprint(tc.mc) {
				t.Errorf("Unmarshal = %x, want %x", [][]byte(au), tc.mc)
			}
			if fmt.Sprint(trimmed(au)) != fmt.Sprint(tc.split) {
				t.Errorf("trimmed Unmarshal = %x, Split %x", trimmed(au), tc.split)
			}
		})
	}
}

// TestSplitBeyondMediacommonCap: a stream larger than mediacommon's access
// unit cap (what AccessUnits gets from ffmpeg) still splits.
func TestSplitBeyondMediacommonCap(t *testing.T) {
	big := bytes.Repeat([]byte{0x41, 0x9a}, h264.MaxAccessUnitSize/2+1)
	stream := Join(nil, []byte{0x67, 1}, big)
	var au h264.AnnexB
	if err := au.Unmarshal(stream); err == nil {
		t.Fatal("mediacommon accepts more than its cap: Split could be Unmarshal")
	}
	if got := Split(stream); len(got) != 2 || len(got[1]) != len(big) {
		t.Fatalf("Split: %d NAL units", len(got))
	}
}

// TestJoinMatchesMediacommon: Join writes h264.AnnexB.Marshal's bytes.
func TestJoinMatchesMediacommon(t *testing.T) {
	for _, nalus := range [][][]byte{
		nil,
		{{0x65}},
		{{0x09, 0xf0}, {0x67, 0x42, 0, 0x1e}, {0x68, 0xce}, {0x65, 0x88, 0, 0, 3, 1}},
	} {
		want, err := h264.AnnexB(nalus).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got := Join(nil, nalus...); !bytes.Equal(got, want) {
			t.Errorf("Join = %x, Marshal %x", got, want)
		}
		if got := Join([]byte{0xaa}, nalus...); !bytes.Equal(got, append([]byte{0xaa}, want...)) {
			t.Errorf("Join after a prefix = %x", got)
		}
	}
}

// TestKeyframeMatchesMediacommon compares Classify's keyframes with
// h264/h265.IsRandomAccess over every NAL unit header byte: the same for
// H.264; for H.265 Classify also counts BLA and the reserved IRAP types.
func TestKeyframeMatchesMediacommon(t *testing.T) {
	for b := range 256 {
		nal := []byte{byte(b), 1}
		au := [][]byte{nal}
		if got, want := Classify(H264, nal) == Keyframe, h264.IsRandomAccess(au); got != want {
			t.Errorf("H.264 header %#x: keyframe %v, mediacommon %v", b, got, want)
		}
		extra := false // IRAP types that h265.IsRandomAccess leaves out
		switch h265.NALUType((b >> 1) & 0x3f) {
		case h265.NALUType_BLA_W_LP, h265.NALUType_BLA_W_RADL, h265.NALUType_BLA_N_LP,
			h265.NALUType_RSV_IRAP_VCL22, h265.NALUType_RSV_IRAP_VCL23:
			extra = true
		}
		if got, want := Classify(H265, nal) == Keyframe, h265.IsRandomAccess(au) || extra; got != want {
			t.Errorf("H.265 header %#x: keyframe %v, want %v", b, got, want)
		}
	}
}

// checkAgainstMediacommon is FuzzSplit's differential check: where
// mediacommon accepts data that opens with a start code, Split gives its
// NAL units, trimmed.
func checkAgainstMediacommon(t *testing.T, data []byte) {
	if !startsWithCode(data) {
		return // Unmarshal's initial-delimiter check lets some of these through as one NAL unit
	}
	var au h264.AnnexB
	if err := au.Unmarshal(data); err != nil {
		if !errors.Is(err, h264.ErrAnnexBNoNALUs) && len(data) <= h264.MaxAccessUnitSize {
			t.Fatalf("Unmarshal: %v", err)
		}
		if len(Split(data)) != 0 && errors.Is(err, h264.ErrAnnexBNoNALUs) {
			t.Fatalf("Split found NAL units where mediacommon found none")
		}
		return
	}
	if got, want := Split(data), trimmed(au); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Split = %x, mediacommon (trimmed) %x", got, want)
	}
}

// BenchmarkSplit compares Split with mediacommon's Unmarshal on a
// 200 kB access unit of four NAL units.
func BenchmarkSplit(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	payload := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.IntN(255) + 1) // no zero bytes: no start code inside
		}
		return p
	}
	au := Join(nil, []byte{0x09, 0xf0}, payload(20), payload(4), payload(200_000))
	b.Run("annexb", func(b *testing.B) {
		b.SetBytes(int64(len(au)))
		for b.Loop() {
			if len(Split(au)) != 4 {
				b.Fatal("split")
			}
		}
	})
	b.Run("mediacommon", func(b *testing.B) {
		b.SetBytes(int64(len(au)))
		for b.Loop() {
			var dec h264.AnnexB
			if err := dec.Unmarshal(au); err != nil || len(dec) != 4 {
				b.Fatal(err)
			}
		}
	})
}

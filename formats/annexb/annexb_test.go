package annexb

import (
	"bytes"
	"fmt"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"empty", nil, nil},
		{"no start code", []byte{1, 2, 3}, nil},
		{"4-byte codes", []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2}, [][]byte{{0x67, 1}, {0x68, 2}}},
		{"3-byte codes", []byte{0, 0, 1, 0x65, 9, 9, 0, 0, 1, 0x41}, [][]byte{{0x65, 9, 9}, {0x41}}},
		{"leading junk and trailing zeros", []byte{7, 7, 0, 0, 1, 0x65, 0, 0, 0}, [][]byte{{0x65}}},
		{"empty NAL", []byte{0, 0, 1, 0, 0, 1, 0x09, 0xf0}, [][]byte{{0x09, 0xf0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(tc.in)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("Split = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestJoinSplitRoundTrip(t *testing.T) {
	nalus := [][]byte{{0x67, 0x42, 0, 0x1e}, {0x68, 0xce}, {0x65, 0x88, 0x84, 0, 0, 3, 1}}
	got := Split(Join(nil, nalus...))
	if fmt.Sprint(got) != fmt.Sprint(nalus) {
		t.Fatalf("round trip: %v, want %v", got, nalus)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		codec string
		b0    byte
		want  Kind
	}{
		{H264, 0x65, Keyframe}, {H264, 0x25, Keyframe}, {H264, 0x41, Picture}, {H264, 0x01, Picture},
		{H264, 0x67, SPS}, {H264, 0x68, PPS}, {H264, 0x09, Other}, {H264, 0x06, Other},
		{H265, 19 << 1, Keyframe}, {H265, 20 << 1, Keyframe}, {H265, 21 << 1, Keyframe}, {H265, 16 << 1, Keyframe},
		{H265, 1 << 1, Picture}, {H265, 0, Picture}, {H265, 32 << 1, VPS}, {H265, 33 << 1, SPS},
		{H265, 34 << 1, PPS}, {H265, 35 << 1, Other}, {H265, 39 << 1, Other},
		{"vp9", 0x65, Other},
	} {
		if got := Classify(tc.codec, []byte{tc.b0, 1}); got != tc.want {
			t.Errorf("Classify(%s, %#x) = %d, want %d", tc.codec, tc.b0, got, tc.want)
		}
	}
	if Classify(H264, nil) != Other {
		t.Error("empty NAL must be Other")
	}
}

func TestInspect(t *testing.T) {
	sps, pps, idr, p := []byte{0x67, 1}, []byte{0x68, 2}, []byte{0x65, 3}, []byte{0x41, 4}
	vps, hsps, hpps, cra := []byte{32 << 1, 1}, []byte{33 << 1, 1}, []byte{34 << 1, 1}, []byte{21 << 1, 1}
	for _, tc := range []struct {
		name  string
		codec string
		au    []byte
		want  Info
	}{
		{"h264 idr with params", H264, Join(nil, sps, pps, idr), Info{true, true, 3}},
		{"h264 bare idr", H264, Join(nil, idr), Info{true, false, 1}},
		{"h264 p frame", H264, Join(nil, p), Info{false, false, 1}},
		{"h265 cra with params", H265, Join(nil, vps, hsps, hpps, cra), Info{true, true, 4}},
		{"h265 cra without vps", H265, Join(nil, hsps, hpps, cra), Info{true, false, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Inspect(tc.codec, tc.au); got != tc.want {
				t.Fatalf("Inspect = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParamCacheFix(t *testing.T) {
	aud, sps, pps, idr, p := []byte{0x09, 0xf0}, []byte{0x67, 1}, []byte{0x68, 2}, []byte{0x65, 3}, []byte{0x41, 4}
	c, err := NewParamCache(H264)
	if err != nil {
		t.Fatal(err)
	}
	// A bare keyframe before any parameter set cannot be fixed.
	if out, info, ok := c.Fix(nil, Join(nil, idr)); ok || !info.Keyframe || info.HasParams || !bytes.Equal(out, Join(nil, idr)) {
		t.Fatalf("first bare IDR: ok=%v info=%+v", ok, info)
	}
	// Parameter sets in-band: returned unchanged.
	full := Join(nil, sps, pps, idr)
	if out, info, ok := c.Fix(nil, full); !ok || !info.HasParams || !bytes.Equal(out, full) {
		t.Fatalf("full IDR changed: %x", out)
	}
	// Non-keyframes are untouched.
	if out, _, ok := c.Fix(nil, Join(nil, p)); !ok || !bytes.Equal(out, Join(nil, p)) {
		t.Fatalf("P frame changed: %x", out)
	}
	// A later bare keyframe (after an AUD) gets SPS+PPS after the AUD.
	out, info, ok := c.Fix(nil, Join(nil, aud, idr))
	want := Join(nil, aud, sps, pps, idr)
	if !ok || !info.HasParams || !info.Keyframe || !bytes.Equal(out, want) {
		t.Fatalf("fixed = %x (info %+v ok %v), want %x", out, info, ok, want)
	}
	if _, err := NewParamCache("vp8"); err == nil {
		t.Fatal("unknown codec accepted")
	}
}

func TestParamCacheH265(t *testing.T) {
	vps, sps, pps, idr := []byte{32 << 1, 1}, []byte{33 << 1, 1}, []byte{34 << 1, 1}, []byte{19 << 1, 1}
	c, _ := NewParamCache(H265)
	c.Fix(nil, Join(nil, vps, sps, pps, idr))
	out, info, ok := c.Fix(nil, Join(nil, sps, idr)) // SPS in band, VPS and PPS missing
	want := Join(nil, vps, sps, pps, idr)
	if !ok || !info.HasParams || !bytes.Equal(out, want) {
		t.Fatalf("fixed = %x, want %x", out, want)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x65})
	f.Add([]byte{0, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		nalus := Split(data)
		for _, n := range nalus {
			if len(n) == 0 || n[len(n)-1] == 0 {
				t.Fatalf("bad NAL %x", n)
			}
			if bytes.Contains(n, []byte{0, 0, 1}) {
				t.Fatalf("NAL %x holds a start code", n)
			}
		}
		checkAgainstMediacommon(t, data)
		// Splitting what Join wrote gives the same NAL units back.
		if again := Split(Join(nil, nalus...)); fmt.Sprint(again) != fmt.Sprint(nalus) {
			t.Fatalf("re-split %v, want %v", again, nalus)
		}
		for _, codec := range []string{H264, H265} {
			c, _ := NewParamCache(codec)
			out, info, _ := c.Fix(nil, data)
			if info.Keyframe != Inspect(codec, out).Keyframe {
				t.Fatal("Fix changed the keyframe flag")
			}
			// Access units partition the NAL units, in order.
			var joined [][]byte
			for _, au := range AccessUnits(codec, data) {
				if len(Split(au)) == 0 {
					t.Fatal("empty access unit")
				}
				joined = append(joined, Split(au)...)
			}
			if fmt.Sprint(joined) != fmt.Sprint(nalus) {
				t.Fatalf("%s access units hold %v, stream %v", codec, joined, nalus)
			}
		}
	})
}

func ExampleSplit() {
	au := Join(nil, []byte{0x67, 0x42}, []byte{0x68, 0xce}, []byte{0x65, 0x88})
	for _, n := range Split(au) {
		fmt.Printf("%x kind %d\n", n, Classify(H264, n))
	}
	fmt.Printf("%+v\n", Inspect(H264, au))
	// Output:
	// 6742 kind 2
	// 68ce kind 3
	// 6588 kind 4
	// {Keyframe:true HasParams:true NALUs:3}
}

package jpegcodec

import (
	"bytes"
	"image"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestReciprocalExact checks that the reciprocal multiply equals the
// division it replaces for every divisor 8·Q (Q 1..255) and every
// dividend |c| + 4Q the DCT can produce (|c| < 2^13; checked up to 2^15).
func TestReciprocalExact(t *testing.T) {
	var e encoder
	for q := 1; q <= 255; q++ {
		d := uint64(8 * q)
		recip := (1<<32 + d - 1) / d
		for a := uint64(0); a < 1<<15; a++ {
			x := a + uint64(4*q)
			if got, want := (x*recip)>>32, x/d; got != want {
				t.Fatalf("Q %d: (%d·%d)>>32 = %d, want %d", q, x, recip, got, want)
			}
		}
	}
	// And start uses that reciprocal (quality 1: 16·5000/100 clamps to 255).
	e.start(nil, 1, image.Rect(0, 0, 1, 1), 1)
	if e.recip[0][0] != (1<<32+8*255-1)/(8*255) {
		t.Errorf("quality 1 luminance DC reciprocal %d", e.recip[0][0])
	}
}

// TestDCTBounds checks the bound TestReciprocalExact relies on: the
// transform's outputs stay within ±2^13 on extreme and random blocks.
func TestDCTBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 16))
	for i := range 20000 {
		var b [64]int32
		for k := range b {
			switch i % 4 {
			case 0:
				b[k] = int32(rng.IntN(256))
			case 1:
				b[k] = 255 * int32((k+k/8)%2) // checkerboard
			case 2:
				b[k] = 255 * int32(rng.IntN(2))
			default:
				b[k] = 255
			}
		}
		fdct(&b)
		for k, v := range b {
			if v <= -1<<13 || v >= 1<<13 {
				t.Fatalf("block %d: coefficient %d = %d", i, k, v)
			}
		}
	}
	var flat [64]int32
	for k := range flat {
		flat[k] = 200
	}
	fdct(&flat)
	if flat[0] != 64*(200-128) {
		t.Errorf("flat 200: DC %d, want %d", flat[0], 64*(200-128))
	}
}

// TestShortScanAllocatesNothing: a header claiming a large frame over a
// scan too short for it is left to image/jpeg before the fast path
// allocates the frame (else a damaged file would cost the frame twice).
func TestShortScanAllocatesNothing(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	data, err := Append(nil, img, 90)
	if err != nil {
		t.Fatal(err)
	}
	sof := bytes.Index(data, []byte{0xff, 0xc0})
	copy(data[sof+5:], []byte{0x7f, 0xff, 0x7f, 0xff}) // 32767×32767
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := decodeFast(data)
	runtime.ReadMemStats(&after)
	if got != nil {
		t.Fatal("a 32767×32767 frame over a 64×64 scan decoded")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("the fast path allocated %d bytes before giving up", n)
	}
}

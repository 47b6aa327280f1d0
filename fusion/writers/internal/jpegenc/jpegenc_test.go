package jpegenc

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// testImage is a w×h 4:2:0 picture at origin (ox, oy): smooth gradients
// with noise, so that blocks have both small and large coefficients.
func testImage(r *rand.Rand, ox, oy, w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(ox, oy, ox+w, oy+h), image.YCbCrSubsampleRatio420)
	for y := oy; y < oy+h; y++ {
		for x := ox; x < ox+w; x++ {
			m.Y[m.YOffset(x, y)] = byte(x*3 + y + r.IntN(40))
			ci := m.COffset(x, y)
			m.Cb[ci], m.Cr[ci] = byte(128+x-y+r.IntN(9)), byte(64+y*2+r.IntN(9))
		}
	}
	return m
}

// Encode writes exactly image/jpeg.Encode's bytes: 4:2:0 images of sizes
// that are and are not multiples of the 16×16 macroblock, at even and odd
// origins, sub-images with padded strides, every quality class; and other
// images (RGBA, gray, 4:4:4) through image/jpeg itself. When this fails
// after a Go upgrade, image/jpeg's encoder changed: copy it again.
func TestMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var err error
	for _, q := range []int{50, 92} { // a smooth picture: most coefficients quantise to 0
		var want, got bytes.Buffer
		m := smoothImage(75, 41)
		if err = jpeg.Encode(&want, m, &jpeg.Options{Quality: q}); err == nil {
			err = Encode(&got, m, q)
		}
		if err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("smooth picture quality %d: not image/jpeg's bytes (err %v)", q, err)
		}
	}
	cases := []struct{ ox, oy, w, h int }{{0, 0, 640, 400}, {0, 0, 16, 16}, {0, 0, 1, 1}, {0, 0, 17, 9}, {0, 0, 33, 47},
		{1, 0, 31, 30}, {0, 1, 30, 31}, {3, 5, 45, 29}, {-7, -2, 40, 40}}
	for _, c := range cases {
		m := testImage(r, c.ox, c.oy, c.w, c.h)
		imgs := []*image.YCbCr{m}
		if c.w > 4 && c.h > 4 { // a sub-image: strides wider than its width
			imgs = append(imgs, m.SubImage(image.Rect(c.ox+1, c.oy+2, c.ox+c.w-1, c.oy+c.h-1)).(*image.YCbCr))
		}
		for _, img := range imgs {
			for _, q := range []int{-5, 1, 10, 49, 50, 75, 92, 100, 101} {
				var want, got bytes.Buffer
				if err := jpeg.Encode(&want, img, &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				if err := Encode(&got, img, q); err != nil {
					t.Fatal(err)
				}
				b, err := Bytes(img, q)
				if err != nil || !bytes.Equal(b, want.Bytes()) {
					t.Fatalf("%v quality %d: Bytes gives other bytes (err %v)", img.Rect, q, err)
				}
				if c.w == 640 && q == 92 && !bytes.Contains(want.Bytes()[700:], []byte{0xff, 0x00}) {
					t.Error("test picture: no stuffed 0xff byte in the scan")
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("%v quality %d: %d bytes, image/jpeg %d (first difference at %d)", img.Rect, q, got.Len(), want.Len(), firstDiff(got.Bytes(), want.Bytes()))
				}
			}
		}
	}
	others := []image.Image{image.NewRGBA(image.Rect(0, 0, 20, 20)), image.NewGray(image.Rect(0, 0, 9, 9)),
		image.NewYCbCr(image.Rect(0, 0, 20, 20), image.YCbCrSubsampleRatio444)}
	for _, img := range others {
		var want, got bytes.Buffer
		jpeg.Encode(&want, img, &jpeg.Options{Quality: 90})
		if err := Encode(&got, img, 90); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%T: not image/jpeg's bytes (err %v)", img, err)
		}
		if b, err := Bytes(img, 90); err != nil || !bytes.Equal(b, want.Bytes()) {
			t.Errorf("%T: Bytes gives other bytes than image/jpeg (err %v)", img, err)
		}
	}
	if _, err := Append(nil, image.NewYCbCr(image.Rect(0, 0, 1<<16, 1), image.YCbCrSubsampleRatio420), 90); err == nil {
		t.Error("a 65536-pixel-wide image was accepted")
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// div with the reciprocal is image/jpeg's rounded division for every
// divisor the quantisation tables can give (8·q, q = 1..255) and every
// dividend up to ±2^20, beyond the DCT's output range.
func TestDivExact(t *testing.T) {
	if testing.Short() {
		t.Skip("2^20 dividends × 255 divisors")
	}
	for q := uint32(1); q <= 255; q++ {
		d := 8 * q
		r := recipOf(d)
		for a := int32(0); a < 1<<20; a++ {
			want := (a + int32(d>>1)) / int32(d)
			if got := div(a, d, r); got != want {
				t.Fatalf("div(%d, %d) = %d, want %d", a, d, got, want)
			}
			if got := div(-a, d, r); got != -want {
				t.Fatalf("div(%d, %d) = %d, want %d", -a, d, got, -want)
			}
		}
	}
}

// smoothImage is a w×h 4:2:0 picture with little detail, as most of a
// camera image is.
func smoothImage(w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			m.Y[m.YOffset(x, y)] = byte(x/3 + y/2 + (x*y)%7)
			ci := m.COffset(x, y)
			m.Cb[ci], m.Cr[ci] = byte(120+x/20), byte(130-y/20)
		}
	}
	return m
}

// BenchmarkEncode encodes one 640×400 4:2:0 image (the fixture cameras'
// size) at quality 92, a noisy and a smooth one: image/jpeg vs this
// package.
func BenchmarkEncode(b *testing.B) {
	for _, c := range []struct {
		name string
		m    *image.YCbCr
	}{{"noisy", testImage(rand.New(rand.NewPCG(3, 4)), 0, 0, 640, 400)}, {"smooth", smoothImage(640, 400)}} {
		var buf bytes.Buffer
		b.Run(c.name+"/image-jpeg", func(b *testing.B) {
			for b.Loop() {
				buf.Reset()
				if err := jpeg.Encode(&buf, c.m, &jpeg.Options{Quality: 92}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/jpegenc", func(b *testing.B) {
			var out []byte
			for b.Loop() {
				var err error
				if out, err = Append(out[:0], c.m, 92); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package jpegcodec_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/rigsync/rigsync/internal/jpegcodec"
)

// sameImage reports how two decoded images differ ("" when they are the
// same type with the same bounds, strides, subsampling and planes, padding
// included).
func sameImage(a, b image.Image) string {
	switch x := a.(type) {
	case *image.YCbCr:
		y, ok := b.(*image.YCbCr)
		switch {
		case !ok:
			return fmt.Sprintf("%T vs %T", a, b)
		case x.Rect != y.Rect || x.SubsampleRatio != y.SubsampleRatio || x.YStride != y.YStride || x.CStride != y.CStride:
			return fmt.Sprintf("layout %v %v %d %d vs %v %v %d %d", x.Rect, x.SubsampleRatio, x.YStride, x.CStride, y.Rect, y.SubsampleRatio, y.YStride, y.CStride)
		case !bytes.Equal(x.Y, y.Y):
			return "Y plane differs"
		case !bytes.Equal(x.Cb, y.Cb) || !bytes.Equal(x.Cr, y.Cr):
			return "chroma planes differ"
		}
	case *image.Gray:
		y, ok := b.(*image.Gray)
		switch {
		case !ok:
			return fmt.Sprintf("%T vs %T", a, b)
		case x.Rect != y.Rect || x.Stride != y.Stride:
			return fmt.Sprintf("layout %v %d vs %v %d", x.Rect, x.Stride, y.Rect, y.Stride)
		case !bytes.Equal(x.Pix, y.Pix):
			return "pixels differ"
		}
	default:
		// Other types come from image/jpeg on both sides.
		if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) || a.Bounds() != b.Bounds() {
			return fmt.Sprintf("%T %v vs %T %v", a, a.Bounds(), b, b.Bounds())
		}
		r := a.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if a.At(x, y) != b.At(x, y) {
					return fmt.Sprintf("pixel (%d, %d) differs", x, y)
				}
			}
		}
	}
	return ""
}

// agree fails the test when Decode and image/jpeg.Decode disagree on
// data: one fails and the other not, or both succeed with different
// images. It returns whether they succeeded.
func agree(tb testing.TB, name string, data []byte) bool {
	tb.Helper()
	want, werr := jpeg.Decode(bytes.NewReader(data))
	got, gerr := jpegcodec.Decode(data)
	switch {
	case (werr == nil) != (gerr == nil):
		tb.Fatalf("%s: error %v, image/jpeg's %v", name, gerr, werr)
	case werr != nil:
		if gerr.Error() != werr.Error() {
			tb.Fatalf("%s: error %q, image/jpeg's %q", name, gerr, werr)
		}
		return false
	}
	if d := sameImage(got, want); d != "" {
		tb.Fatalf("%s: %s", name, d)
	}
	return true
}

func TestDecodeSameAsStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 16))
	sizes := []image.Point{{1, 1}, {7, 5}, {8, 8}, {9, 16}, {16, 16}, {17, 15}, {33, 47}, {100, 75}}
	for _, kind := range []string{"noise", "gradient", "black", "white"} {
		for _, sz := range sizes {
			for name, img := range images(sz.X, sz.Y, kind, rng) {
				for q := 1; q <= 100; q += 3 {
					data := stdlib(t, img, q)
					agree(t, fmt.Sprintf("%s/%dx%d/%s/q%d", kind, sz.X, sz.Y, name, q), data)
				}
			}
		}
	}
}

// TestDecodeFast checks that the files the writers meet (image/jpeg's
// own 4:2:0 and gray output) take the fast path rather than agreeing
// through the fallback.
func TestDecodeFast(t *testing.T) {
	for i, img := range cameraImages(t) {
		for _, q := range []int{1, 50, 85, 92, 100} {
			data := stdlib(t, img, q)
			agree(t, fmt.Sprintf("camera %d q%d", i, q), data)
			if !jpegcodec.DecodedHere(data) {
				t.Errorf("camera %d q%d: not decoded by the fast path", i, q)
			}
		}
	}
}

// TestDecodeUnusualFiles covers the files handed to image/jpeg and the
// edges of the fast path's grammar: each case edits a real file.
func TestDecodeUnusualFiles(t *testing.T) {
	base := stdlib(t, cameraImages(t)[0], 85)
	sos := bytes.Index(base, []byte{0xff, 0xda})
	eoi := len(base) - 2
	splice := func(at int, ins []byte, drop int) []byte {
		return append(append(append([]byte(nil), base[:at]...), ins...), base[at+drop:]...)
	}
	cases := []struct {
		name string
		data []byte
		fast bool
	}{
		{"as written", base, true},
		{"APP0 and COM before the scan", splice(2, []byte("\xff\xe0\x00\x07JFIF\x00\xff\xfe\x00\x04hi"), 0), true},
		{"Adobe APP14", splice(2, []byte("\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x01"), 0), false},
		{"restart interval 0", splice(sos, []byte{0xff, 0xdd, 0, 4, 0, 0}, 0), false},
		{"junk before EOI", splice(eoi, []byte{1, 2, 0xff, 0, 0xff, 0xd3, 0xff}, 0), true},
		{"bytes after EOI", append(append([]byte(nil), base...), "trailer"...), true},
		{"no EOI", base[:eoi], false},
		{"truncated scan", base[:sos+200], false},
		{"marker in the scan", splice(sos+300, []byte{0xff, 0xd0}, 0), false},
		{"DHT after the scan", splice(eoi, base[bytes.Index(base, []byte{0xff, 0xc4}):sos], 0), false},
		{"flipped scan byte", splice(sos+500, []byte{base[sos+500] ^ 0x5a}, 1), true},
		{"no SOI", base[2:], false},
		{"4000×4000 frame, 640×400 scan", func() []byte {
			b := append([]byte(nil), base...)
			sof := bytes.Index(b, []byte{0xff, 0xc0})
			copy(b[sof+5:], []byte{0x0f, 0xa0, 0x0f, 0xa0})
			return b
		}(), false},
		{"empty", nil, false},
	}
	for _, c := range cases {
		agree(t, c.name, c.data)
		if got := jpegcodec.DecodedHere(c.data); got != c.fast && c.name != "flipped scan byte" {
			t.Errorf("%s: decoded here %v, want %v", c.name, got, c.fast)
		}
	}
}

func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 16))
	for name, img := range images(21, 13, "noise", rng) {
		if name == "gray" || name == "ycbcrYCbCrSubsampleRatio420" {
			f.Add(stdlib(f, img, 75))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil && c.Width*c.Height > 1<<20 {
			return // image/jpeg allocates the whole frame first
		}
		agree(t, "fuzz", data)
	})
}

// BenchmarkDecode decodes the urban rig's camera JPEGs (640×400, 4:2:0,
// quality 85 as recorded) with this package and with image/jpeg in one
// run.
func BenchmarkDecode(b *testing.B) {
	var files [][]byte
	for _, img := range cameraImages(b)[:6] {
		files = append(files, stdlib(b, img, 85))
	}
	b.Run("codec=jpegcodec", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := jpegcodec.Decode(files[i%len(files)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("codec=image-jpeg", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := jpeg.Decode(bytes.NewReader(files[i%len(files)])); err != nil {
				b.Fatal(err)
			}
		}
	})
}

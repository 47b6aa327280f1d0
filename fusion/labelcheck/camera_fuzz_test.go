package labelcheck

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// FuzzDecodeLuma: decodeLuma never panics on any JPEG or PNG payload nor
// on any raw image layout, and a luma plane it returns covers its size.
func FuzzDecodeLuma(f *testing.F) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(3, 3, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), "jpeg", 0, 0, 0, "")
	f.Add([]byte{1, 2, 3, 4, 5, 6}, "", 2, 1, 6, "rgb8")
	f.Add([]byte{1, 2, 3, 4}, "", 2, 2, 2, "mono8")
	f.Fuzz(func(t *testing.T, data []byte, format string, w, h, step int, encoding string) {
		var p formats.Payload = &formats.CompressedImage{Format: format, Data: data}
		if encoding != "" {
			p = &formats.Image{Width: w, Height: h, Step: step, Encoding: encoding, Data: data}
		}
		l, err := decodeLuma(p)
		if err != nil {
			return
		}
		if l.w <= 0 || l.h <= 0 || len(l.y) < (l.h-1)*l.stride+l.w {
			t.Fatalf("%d×%d luma with stride %d in %d bytes", l.w, l.h, l.stride, len(l.y))
		}
		_ = l.at(l.w-1, l.h-1)
	})
}

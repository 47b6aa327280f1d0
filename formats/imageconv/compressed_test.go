package imageconv_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
)

func TestDecodeCompressed(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 24, 16))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 5)
	}
	var pb, jb bytes.Buffer
	if err := png.Encode(&pb, src); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jb, src, nil); err != nil {
		t.Fatal(err)
	}
	wantJPEG, err := jpeg.Decode(bytes.NewReader(jb.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		data   []byte
		max    int64
		want   image.Image
		err    string
	}{
		{"png", pb.Bytes(), 1 << 20, src, ""},
		{"bgr8; jpeg compressed bgr8", jb.Bytes(), 1 << 20, wantJPEG, ""},
		{"", jb.Bytes(), 1 << 20, wantJPEG, ""},
		{"webp", jb.Bytes(), 1 << 20, nil, `format "webp" not supported`},
		{"jpeg", jb.Bytes(), 24*16 - 1, nil, "24×16 image is larger than 383 pixels"},
		{"jpeg", []byte("not a jpeg"), 1 << 20, nil, "invalid JPEG"},
	} {
		img, err := imageconv.DecodeCompressed(&formats.CompressedImage{Format: tc.format, Data: tc.data}, tc.max)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.format, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if img.At(x, y) != tc.want.At(x, y) {
					t.Fatalf("%q: pixel (%d,%d) %v, want %v", tc.format, x, y, img.At(x, y), tc.want.At(x, y))
				}
			}
		}
	}
}

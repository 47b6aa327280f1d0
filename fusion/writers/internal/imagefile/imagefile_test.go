package imagefile

import (
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

func TestRawImageNotes(t *testing.T) {
	cases := []struct {
		im   *formats.Image
		note string
	}{
		{&formats.Image{Width: 2, Height: 2, Encoding: "bayer_rggb8", Step: 2, Data: make([]byte, 4)}, "not supported"},
		{&formats.Image{Width: 2, Height: 2, Encoding: "rgb8", Step: 6, Data: make([]byte, 11)}, "layout needs 12"},
		{&formats.Image{Width: 2, Height: 2, Encoding: "mono8", Step: 1, Data: make([]byte, 4)}, "step 1 shorter"},
		{&formats.Image{Width: 1 << 20, Height: 1 << 20, Encoding: "mono8", Step: 1 << 20}, "invalid"},
	}
	for _, c := range cases {
		b, _, note, err := Bytes(c.im, 90)
		if err != nil || b != nil || !strings.Contains(note, c.note) {
			t.Errorf("%s: bytes %d, note %q, err %v; want note …%s…", c.im.Encoding, len(b), note, err, c.note)
		}
	}
	// mono16 big-endian: the high byte is kept.
	img, err := ToImage(&formats.Image{Width: 2, Height: 1, Encoding: "mono16", BigEndian: true, Step: 4, Data: []byte{0x12, 0x34, 0xab, 0xcd}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := img.At(1, 0).RGBA(); r>>8 != 0xab {
		t.Errorf("mono16 pixel 1 = %#x, want 0xab", r>>8)
	}
	// bgr8 is swapped to RGB.
	img, _ = ToImage(&formats.Image{Width: 1, Height: 1, Encoding: "bgr8", Step: 3, Data: []byte{1, 2, 3}})
	if r, g, b, _ := img.At(0, 0).RGBA(); r>>8 != 3 || g>>8 != 2 || b>>8 != 1 {
		t.Errorf("bgr8 pixel = %d %d %d, want 3 2 1", r>>8, g>>8, b>>8)
	}
}

func TestExt(t *testing.T) {
	for in, want := range map[string]string{"jpeg": ".jpg", "png": ".png", "rgb8; jpeg compressed bgr8": ".jpg", "bgr8; png compressed bgr8": ".png", "": ".jpg", "webp": ".webp"} {
		if got := Ext(in); got != want {
			t.Errorf("Ext(%q) = %q, want %q", in, got, want)
		}
	}
}

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
}

func TestExt(t *testing.T) {
	for in, want := range map[string]string{"jpeg": ".jpg", "png": ".png", "rgb8; jpeg compressed bgr8": ".jpg", "bgr8; png compressed bgr8": ".png", "": ".jpg", "webp": ".webp"} {
		if got := Ext(in); got != want {
			t.Errorf("Ext(%q) = %q, want %q", in, got, want)
		}
	}
}

package fusion

import (
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// FuzzCheckImage: any bytes as a JPEG, PNG or raw image give a verdict or
// an error, never a panic; a verdict comes with samples and fractions in
// [0, 1].
func FuzzCheckImage(f *testing.F) {
	f.Add([]byte{0xff, 0xd8, 0xff, 0xd9}, "jpeg", 0, 0, 0)
	f.Add(jpegOf(f, 16, 8, func(x, y int) uint8 { return uint8(x * 16) }), "jpeg", 0, 0, 0)
	f.Add([]byte("\x89PNG\r\n\x1a\n"), "png", 0, 0, 0)
	f.Add(make([]byte, 48), "mono8", 8, 6, 8)
	f.Add(make([]byte, 40), "rgb8", 4, 3, 12)
	f.Fuzz(func(t *testing.T, data []byte, format string, w, h, step int) {
		var p formats.Payload
		switch format {
		case "mono8", "rgb8", "bgr8", "rgba8", "bgra8", "mono16":
			if w > 4096 || h > 4096 {
				return
			}
			p = &formats.Image{Width: w, Height: h, Encoding: format, Step: step, Data: data}
		default:
			p = &formats.CompressedImage{Format: format, Data: data}
		}
		c, err := CheckImage(p)
		if err != nil {
			return
		}
		if c.Samples <= 0 || c.Dark < 0 || c.Dark > 1 || c.Bright < 0 || c.Bright > 1 {
			t.Fatalf("check %+v", c)
		}
	})
}

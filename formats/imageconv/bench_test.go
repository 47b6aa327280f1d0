package imageconv_test

import (
	"testing"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
)

// BenchmarkToImage converts one 1280×720 raw image per iteration.
func BenchmarkToImage(b *testing.B) {
	const w, h = 1280, 720
	for _, enc := range []string{"rgb8", "bgra8", "mono8", "mono16"} {
		e, _ := imageconv.Lookup(enc)
		im := &formats.Image{Width: w, Height: h, Encoding: enc, Step: w * e.PixelBytes(), Data: make([]byte, w*h*e.PixelBytes())}
		b.Run(enc, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(im.Data)))
			for b.Loop() {
				if _, err := imageconv.ToImage(im); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package imageconv_test

import (
	"fmt"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
)

// A raw bgr8 image opened for its size, decoded, and written back as rgb8.
func Example() {
	raw := &formats.Image{Width: 2, Height: 1, Encoding: "bgr8", Step: 6, Data: []byte{1, 2, 3, 4, 5, 6}}
	enc, _ := imageconv.Lookup(raw.Encoding)
	fmt.Println(enc.Name, enc.PixelBytes(), "bytes per pixel, BGR:", enc.BGR)

	l, err := imageconv.Open(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%dx%d\n", l.Width, l.Height)
	img, _ := l.Decode()
	rgb, _ := imageconv.FromImage(img, "rgb8")
	fmt.Println(rgb.Data)
	// Output:
	// bgr8 3 bytes per pixel, BGR: true
	// 2x1
	// [3 2 1 6 5 4]
}

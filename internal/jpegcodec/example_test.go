package jpegcodec_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/rigsync/rigsync/internal/jpegcodec"
)

// Append encodes a camera-like 4:2:0 image; the bytes are image/jpeg's.
func ExampleAppend() {
	img := image.NewYCbCr(image.Rect(0, 0, 37, 21), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i * 7)
	}
	data, err := jpegcodec.Append(nil, img, 92)
	if err != nil {
		panic(err)
	}
	var ref bytes.Buffer
	if err := jpeg.Encode(&ref, img, &jpeg.Options{Quality: 92}); err != nil {
		panic(err)
	}
	fmt.Println(bytes.Equal(data, ref.Bytes()), data[:2], data[len(data)-2:])
	// Output: true [255 216] [255 217]
}

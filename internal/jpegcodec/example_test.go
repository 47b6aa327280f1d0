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

// Decode gives image/jpeg's image; a camera JPEG decodes to 4:2:0 YCbCr.
func ExampleDecode() {
	src := image.NewYCbCr(image.Rect(0, 0, 40, 30), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = uint8(i)
	}
	data, err := jpegcodec.Append(nil, src, 85)
	if err != nil {
		panic(err)
	}
	img, err := jpegcodec.Decode(data)
	if err != nil {
		panic(err)
	}
	m := img.(*image.YCbCr)
	fmt.Println(m.Bounds(), m.SubsampleRatio, m.YStride)
	// Output: (0,0)-(40,30) YCbCrSubsampleRatio420 48
}

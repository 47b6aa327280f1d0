package rtsptest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
)

// indexBits is how many bits of the frame index a test JPEG carries.
const indexBits = 16

// TestJPEG returns a baseline JPEG of w×h (multiples of 8 and at most 2040,
// as RTP/JPEG requires; at least 64×16) whose top band holds the low 16
// bits of index as black/white blocks, readable back with JPEGIndex after
// any lossy round trip; the rest is a gradient so the size is realistic.
func TestJPEG(w, h, index int) ([]byte, error) {
	if w%8 != 0 || h%8 != 0 || w < 64 || h < 16 || w > 2040 || h > 2040 {
		return nil, fmt.Errorf("rtsptest: jpeg size %dx%d: want multiples of 8, 64x16 to 2040x2040", w, h)
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	band := h / 4
	bw := w / indexBits
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var v uint8
			if y < band {
				bit := x / bw
				if bit < indexBits && index>>(indexBits-1-bit)&1 == 1 {
					v = 235
				} else {
					v = 16
				}
			} else {
				v = uint8((x*3 + y*5 + index*7) % 200)
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TestJPEGs returns n test JPEGs with indices 0..n-1 (encode once, stream
// in a cycle: encoding 1280×720 in real time would load the CPU).
func TestJPEGs(w, h, n int) ([][]byte, error) {
	out := make([][]byte, n)
	for i := range out {
		b, err := TestJPEG(w, h, i)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// JPEGIndex reads back the index TestJPEG wrote (its low 16 bits).
func JPEGIndex(b []byte) (int, error) {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("rtsptest: decode jpeg: %w", err)
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w < 64 || h < 16 {
		return 0, errors.New("rtsptest: jpeg too small to carry an index")
	}
	bw := w / indexBits
	v := 0
	for bit := 0; bit < indexBits; bit++ {
		c := color.GrayModel.Convert(img.At(r.Min.X+bit*bw+bw/2, r.Min.Y+h/8)).(color.Gray)
		v <<= 1
		if c.Y > 128 {
			v |= 1
		}
	}
	return v, nil
}

package camera

import (
	"fmt"
	"math"
)

// UndistortMap computes remap tables for writing undistorted images: for
// every pixel (x,y) of an image of size w×h seen through dst (typically an
// ideal pinhole), mapX[y*w+x], mapY[y*w+x] is the pixel of src that sees the
// same ray, as OpenCV's initUndistortRectifyMap produces. Pixels whose ray
// src cannot see are −1.
func UndistortMap(src, dst Model, w, h int) (mapX, mapY []float32, err error) {
	if w <= 0 || h <= 0 || w > 1<<15 || h > 1<<15 {
		return nil, nil, fmt.Errorf("camera: undistort map size %dx%d out of range", w, h)
	}
	mapX = make([]float32, w*h)
	mapY = make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			mapX[i], mapY[i] = -1, -1
			ray, ok := dst.Unproject(float64(x), float64(y))
			if !ok {
				continue
			}
			u, v, ok := src.Project(ray)
			if !ok || math.IsNaN(u) || math.IsNaN(v) {
				continue
			}
			mapX[i], mapY[i] = float32(u), float32(v)
		}
	}
	return mapX, mapY, nil
}

// Remap samples a single-channel 8-bit image img (w×h, row-major) at the
// maps with bilinear interpolation, writing 0 where the map is −1 or falls
// outside the image.
func Remap(img []byte, w, h int, mapX, mapY []float32) ([]byte, error) {
	if len(img) != w*h || len(mapX) != len(mapY) || len(mapX) != w*h {
		return nil, fmt.Errorf("camera: remap sizes: image %d bytes for %dx%d, maps %d/%d", len(img), w, h, len(mapX), len(mapY))
	}
	out := make([]byte, w*h)
	for i := range out {
		t, ok := bilinear(mapX[i], mapY[i], w, h)
		if !ok {
			continue
		}
		out[i] = t.sample(img, 1, 0)
	}
	return out, nil
}

// tap is where and how much bilinear interpolation reads: the indexes
// (in pixels) of the four neighbours and their weights.
type tap struct {
	i00, i10, i01, i11 int
	w00, w10, w01, w11 float64
}

// bilinear returns the tap of the position (u, v) in a w×h image, false
// when it falls outside (or is the −1 of an UndistortMap).
func bilinear(mu, mv float32, w, h int) (tap, bool) {
	u, v := float64(mu), float64(mv)
	if u < 0 || v < 0 || u > float64(w-1) || v > float64(h-1) {
		return tap{}, false
	}
	x0, y0 := int(u), int(v)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := u-float64(x0), v-float64(y0)
	return tap{y0*w + x0, y0*w + x1, y1*w + x0, y1*w + x1,
		(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy}, true
}

// sample interpolates channel k of pixels of n bytes in img, rounded to
// the nearest byte (half away from zero, as math.Round).
func (t *tap) sample(img []byte, n, k int) byte {
	p := t.w00*float64(img[n*t.i00+k]) + t.w10*float64(img[n*t.i10+k]) +
		t.w01*float64(img[n*t.i01+k]) + t.w11*float64(img[n*t.i11+k])
	return roundByte(p)
}

// RemapRGBA is Remap on the R, G and B bytes of 4-byte pixels (RGBA, w×h,
// row-major) at once: the interpolation weights are computed once per
// pixel and the arithmetic is Remap's, so each channel is exactly what
// Remap gives for it. Alpha is set to 255 everywhere, including where the
// map falls outside the image (whose colour is 0). dst and src must not
// overlap.
func RemapRGBA(dst, src []byte, w, h int, mapX, mapY []float32) error {
	if len(src) != 4*w*h || len(dst) != 4*w*h || len(mapX) != len(mapY) || len(mapX) != w*h {
		return fmt.Errorf("camera: remap sizes: image %d bytes for %dx%d, maps %d/%d", len(src), w, h, len(mapX), len(mapY))
	}
	for i := range mapX {
		dst[4*i+3] = 255
		t, ok := bilinear(mapX[i], mapY[i], w, h)
		if !ok {
			continue
		}
		for k := range 3 {
			dst[4*i+k] = t.sample(src, 4, k)
		}
	}
	return nil
}

// roundByte is byte(math.Round(p)) for p in [0, 255.5), without the call.
func roundByte(p float64) byte {
	if p < 0.5 {
		return 0
	}
	return byte(p + 0.5)
}

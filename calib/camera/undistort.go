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
	remap(out, img, 1, 1, w, h, mapX, mapY)
	return out, nil
}

// RemapRGBA is Remap on the R, G and B bytes of 4-byte pixels (RGBA, w×h,
// row-major) at once: the interpolation weights are computed once per
// pixel and the arithmetic is Remap's, so each channel is exactly what
// Remap gives for it. Alpha is set to 255 everywhere; the colour of a
// pixel whose map falls outside the image is left as it is in dst. dst
// and src must not overlap.
func RemapRGBA(dst, src []byte, w, h int, mapX, mapY []float32) error {
	if len(src) != 4*w*h || len(dst) != 4*w*h || len(mapX) != len(mapY) || len(mapX) != w*h {
		return fmt.Errorf("camera: remap sizes: image %d bytes for %dx%d, maps %d/%d", len(src), w, h, len(mapX), len(mapY))
	}
	for i := 3; i < len(dst); i += 4 {
		dst[i] = 255
	}
	remap(dst, src, 4, 3, w, h, mapX, mapY)
	return nil
}

// remap is the bilinear interpolation of Remap and RemapRGBA: pixel i of
// dst (n bytes per pixel, the first ch of them interpolated) samples src
// at (mapX[i], mapY[i]); positions outside the image are skipped. Each
// value is the weighted sum of the four neighbours, rounded half away
// from zero.
func remap(dst, src []byte, n, ch, w, h int, mapX, mapY []float32) {
	for i := range mapX {
		u, v := float64(mapX[i]), float64(mapY[i])
		if u < 0 || v < 0 || u > float64(w-1) || v > float64(h-1) {
			continue
		}
		x0, y0 := int(u), int(v)
		x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
		fx, fy := u-float64(x0), v-float64(y0)
		w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
		i00, i10, i01, i11 := n*(y0*w+x0), n*(y0*w+x1), n*(y1*w+x0), n*(y1*w+x1)
		for k := range ch {
			p := w00*float64(src[i00+k]) + w10*float64(src[i10+k]) + w01*float64(src[i01+k]) + w11*float64(src[i11+k])
			dst[n*i+k] = roundByte(p)
		}
	}
}

// roundByte is byte(math.Round(p)) for p in [0, 255.5), without the call.
func roundByte(p float64) byte {
	if p < 0.5 {
		return 0
	}
	return byte(p + 0.5)
}

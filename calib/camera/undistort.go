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
		u, v := float64(mapX[i]), float64(mapY[i])
		if u < 0 || v < 0 || u > float64(w-1) || v > float64(h-1) {
			continue
		}
		x0, y0 := int(u), int(v)
		x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
		fx, fy := u-float64(x0), v-float64(y0)
		p := (1-fx)*(1-fy)*float64(img[y0*w+x0]) + fx*(1-fy)*float64(img[y0*w+x1]) +
			(1-fx)*fy*float64(img[y1*w+x0]) + fx*fy*float64(img[y1*w+x1])
		out[i] = byte(math.Round(p))
	}
	return out, nil
}

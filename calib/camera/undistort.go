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

// RemapTable is the bilinear interpolation of Remap with the per-pixel
// work done once and fixed-point weights: for every output pixel its
// top-left source neighbour and its fractional position in 1/256 pixel.
// A value differs from Remap's by at most 1 (weights rounded to 1/256 px;
// TestRemapTable), at a fraction of the cost, so a camera's table is
// built once and used for every image of its size. It takes 8 bytes per
// output pixel. Its methods only read it: one table may serve several
// goroutines, and calls on disjoint row ranges may run in parallel.
type RemapTable struct {
	// W, H is the output size; SW, SH the source's.
	W, H, SW, SH int
	cell         []remapCell
}

// remapCell is one output pixel: the source's top-left neighbour (x0, y0)
// and the weights of the right and lower neighbours in 1/256 (0..256);
// wx = outside marks a pixel whose map falls outside the source.
type remapCell struct {
	x0, y0, wx, wy uint16
}

const outside = 0xffff

// NewRemapTable precomputes the interpolation of maps mapX, mapY (as
// UndistortMap gives them, len w·h) from a sw×sh source onto a w×h
// output: positions outside [0, sw−1]×[0, sh−1] (or −1) are outside.
func NewRemapTable(w, h, sw, sh int, mapX, mapY []float32) (*RemapTable, error) {
	if w <= 0 || h <= 0 || sw < 2 || sh < 2 || sw > 1<<15 || sh > 1<<15 || len(mapX) != w*h || len(mapY) != w*h {
		return nil, fmt.Errorf("camera: remap table sizes: %dx%d output, %dx%d source, maps %d/%d", w, h, sw, sh, len(mapX), len(mapY))
	}
	t := &RemapTable{W: w, H: h, SW: sw, SH: sh, cell: make([]remapCell, w*h)}
	for i := range mapX {
		u, v := float64(mapX[i]), float64(mapY[i])
		if !(u >= 0 && v >= 0 && u <= float64(sw-1) && v <= float64(sh-1)) {
			t.cell[i].wx = outside
			continue
		}
		x0, y0 := int(u), int(v)
		wx, wy := int(math.Round((u-float64(x0))*256)), int(math.Round((v-float64(y0))*256))
		// On the last column (row) there is no neighbour to the right
		// (below): sample between the one before and it, with weight 1.
		if x0 == sw-1 {
			x0, wx = x0-1, wx+256
		}
		if y0 == sh-1 {
			y0, wy = y0-1, wy+256
		}
		t.cell[i] = remapCell{x0: uint16(x0), y0: uint16(y0), wx: uint16(min(wx, 256)), wy: uint16(min(wy, 256))}
	}
	return t, nil
}

// Remap samples the single-channel source src (SW×SH, rows of sstride
// bytes) into output rows [y0, y1) of dst (rows of dstride bytes); outside
// pixels are left as they are.
func (t *RemapTable) Remap(dst []byte, dstride int, src []byte, sstride, y0, y1 int) error {
	if err := t.check(len(dst), dstride, t.W, len(src), sstride, t.SW, y0, y1); err != nil {
		return err
	}
	for y := y0; y < y1; y++ {
		row := dst[y*dstride : y*dstride+t.W]
		for x, c := range t.cell[y*t.W : (y+1)*t.W] {
			if c.wx == outside {
				continue
			}
			i00 := int(c.y0)*sstride + int(c.x0)
			i01 := i00 + sstride
			_, _ = src[i00+1], src[i01+1]
			wx1, wy1 := uint32(c.wx), uint32(c.wy)
			wx0, wy0 := 256-wx1, 256-wy1
			row[x] = byte(((uint32(src[i00])*wx0+uint32(src[i00+1])*wx1)*wy0 + (uint32(src[i01])*wx0+uint32(src[i01+1])*wx1)*wy1 + 1<<15) >> 16)
		}
	}
	return nil
}

// RemapRGBA is Remap on the R, G and B bytes of 4-byte pixels (dst W×H
// and src SW×SH, RGBA, packed rows); alpha is set to 255 everywhere,
// outside pixels keep dst's colour.
func (t *RemapTable) RemapRGBA(dst, src []byte, y0, y1 int) error {
	if err := t.check(len(dst), 4*t.W, 4*t.W, len(src), 4*t.SW, 4*t.SW, y0, y1); err != nil {
		return err
	}
	ss := 4 * t.SW
	for y := y0; y < y1; y++ {
		row := dst[4*y*t.W : 4*(y+1)*t.W]
		for x, c := range t.cell[y*t.W : (y+1)*t.W] {
			d := row[4*x : 4*x+4]
			d[3] = 255
			if c.wx == outside {
				continue
			}
			i00 := int(c.y0)*ss + 4*int(c.x0)
			i01 := i00 + ss
			_, _ = src[i00+6], src[i01+6]
			wx1, wy1 := uint32(c.wx), uint32(c.wy)
			wx0, wy0 := 256-wx1, 256-wy1
			d[0] = byte(((uint32(src[i00])*wx0+uint32(src[i00+4])*wx1)*wy0 + (uint32(src[i01])*wx0+uint32(src[i01+4])*wx1)*wy1 + 1<<15) >> 16)
			d[1] = byte(((uint32(src[i00+1])*wx0+uint32(src[i00+5])*wx1)*wy0 + (uint32(src[i01+1])*wx0+uint32(src[i01+5])*wx1)*wy1 + 1<<15) >> 16)
			d[2] = byte(((uint32(src[i00+2])*wx0+uint32(src[i00+6])*wx1)*wy0 + (uint32(src[i01+2])*wx0+uint32(src[i01+6])*wx1)*wy1 + 1<<15) >> 16)
		}
	}
	return nil
}

// check validates a call's buffers: dst rows of dstride ≥ drow bytes
// for rows [y0, y1) of H, src rows of sstride ≥ srow bytes for SH rows.
func (t *RemapTable) check(ndst, dstride, drow, nsrc, sstride, srow, y0, y1 int) error {
	if y0 < 0 || y1 > t.H || y0 > y1 || dstride < drow || sstride < srow || nsrc < (t.SH-1)*sstride+srow ||
		(y1 > y0 && ndst < (y1-1)*dstride+drow) {
		return fmt.Errorf("camera: remap table %dx%d from %dx%d: dst %d bytes (stride %d), src %d bytes (stride %d), rows [%d, %d)",
			t.W, t.H, t.SW, t.SH, ndst, dstride, nsrc, sstride, y0, y1)
	}
	return nil
}

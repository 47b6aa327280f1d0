package edge

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // decoders for CompressedImage
	_ "image/png"
	"math"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
)

// maxPixels bounds a decoded image.
const maxPixels = 1 << 26

// decodeImage decodes a camera payload (*formats.CompressedImage with JPEG
// or PNG data, or a raw *formats.Image). With w, h > 0 an image of another
// size is an error (found from the header, before decoding).
func decodeImage(p formats.Payload, w, h int) (image.Image, error) {
	switch im := p.(type) {
	case *formats.CompressedImage:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(im.Data))
		if err != nil {
			return nil, fmt.Errorf("compressed image (%q): %w", im.Format, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
			return nil, fmt.Errorf("compressed image size %dx%d out of range", cfg.Width, cfg.Height)
		}
		if w > 0 && h > 0 && (cfg.Width != w || cfg.Height != h) {
			return nil, fmt.Errorf("image is %dx%d, the camera info says %dx%d", cfg.Width, cfg.Height, w, h)
		}
		img, _, err := image.Decode(bytes.NewReader(im.Data))
		if err != nil {
			return nil, fmt.Errorf("compressed image (%q): %w", im.Format, err)
		}
		return img, nil
	case *formats.Image:
		if w > 0 && h > 0 && (im.Width != w || im.Height != h) {
			return nil, fmt.Errorf("image is %dx%d, the camera info says %dx%d", im.Width, im.Height, w, h)
		}
		return imageconv.ToImage(im)
	case nil:
		return nil, fmt.Errorf("no image")
	}
	return nil, fmt.Errorf("unsupported image payload %T", p)
}

// grayOf returns the image's luma as a w×h row-major slice.
func grayOf(img image.Image) (g []uint8, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	g = make([]uint8, w*h)
	switch im := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			copy(g[y*w:(y+1)*w], im.Y[(y)*im.YStride:])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(g[y*w:(y+1)*w], im.Pix[y*im.Stride:])
		}
	default:
		gi := image.NewGray(image.Rect(0, 0, w, h))
		draw.Draw(gi, gi.Rect, img, b.Min, draw.Src)
		copy(g, gi.Pix)
	}
	return g, w, h
}

// edges returns the edge magnitude of a gray image: at each pixel the
// largest absolute difference to its 8 neighbours (Levinson & Thrun).
func edges(g []uint8, w, h int) []uint8 {
	e := make([]uint8, w*h)
	border := func(x, y int) {
		c := int(g[y*w+x])
		m := 0
		for yy := max(0, y-1); yy <= min(h-1, y+1); yy++ {
			for xx := max(0, x-1); xx <= min(w-1, x+1); xx++ {
				d := int(g[yy*w+xx]) - c
				m = max(m, d, -d)
			}
		}
		e[y*w+x] = uint8(m)
	}
	for y := 0; y < h; y++ {
		if y == 0 || y == h-1 || w < 3 {
			for x := 0; x < w; x++ {
				border(x, y)
			}
			continue
		}
		border(0, y)
		up, row, dn := g[(y-1)*w:y*w], g[y*w:(y+1)*w], g[(y+1)*w:(y+2)*w]
		out := e[y*w : (y+1)*w]
		for x := 1; x < w-1; x++ {
			c := int(row[x])
			lo, hi := c, c
			for _, v := range [8]uint8{up[x-1], up[x], up[x+1], row[x-1], row[x+1], dn[x-1], dn[x], dn[x+1]} {
				lo, hi = min(lo, int(v)), max(hi, int(v))
			}
			out[x] = uint8(max(hi-c, c-lo))
		}
		border(w-1, y)
	}
	return e
}

// idt is the inverse distance transform of an edge map:
//
//	D_ij = α·E_ij + (1−α)·max_xy E_xy · γ^max(|x−i|,|y−j|)
//
// computed exactly in two raster passes (the chessboard distance is the
// 8-connected path length, and the decay is multiplicative along a path).
func idt(e []uint8, w, h int, alpha, gamma float64) []uint8 {
	// Fixed point: values ×256 in uint32, the decay a multiply by
	// γ·2¹⁶ and a shift (integer max is much faster than float max with
	// its NaN rules). A zero border of one pixel spares the bounds checks.
	W := w + 2
	m := make([]uint32, W*(h+2))
	for y := 0; y < h; y++ {
		row := m[(y+1)*W+1 : (y+1)*W+1+w]
		for x, v := range e[y*w : (y+1)*w] {
			row[x] = uint32(v) << 8
		}
	}
	g := uint32(math.Round(min(1, max(0, gamma)) * 65536))
	decay := func(v uint32) uint32 { return uint32(uint64(v) * uint64(g) >> 16) }
	for y := 1; y <= h; y++ {
		for i := y*W + 1; i <= y*W+w; i++ {
			n := m[i-1]
			if v := m[i-W-1]; v > n {
				n = v
			}
			if v := m[i-W]; v > n {
				n = v
			}
			if v := m[i-W+1]; v > n {
				n = v
			}
			if n = decay(n); n > m[i] {
				m[i] = n
			}
		}
	}
	for y := h; y >= 1; y-- {
		for i := y*W + w; i >= y*W+1; i-- {
			n := m[i+1]
			if v := m[i+W+1]; v > n {
				n = v
			}
			if v := m[i+W]; v > n {
				n = v
			}
			if v := m[i+W-1]; v > n {
				n = v
			}
			if n = decay(n); n > m[i] {
				m[i] = n
			}
		}
	}
	d := make([]uint8, w*h)
	a := uint32(math.Round(min(1, max(0, alpha)) * 256))
	for y := 0; y < h; y++ {
		row := m[(y+1)*W+1 : (y+1)*W+1+w]
		for x, v := range e[y*w : (y+1)*w] {
			// (α·E·256 + (1−α)·M) / 256, rounded; all ×256.
			s := (a*(uint32(v)<<8) + (256-a)*row[x] + 1<<15) >> 16
			d[y*w+x] = uint8(min(255, s))
		}
	}
	return d
}

// sample returns D at the sub-pixel position (u, v) by bilinear
// interpolation (pixel centres at integers), and false outside the image.
func sample(d []uint8, w, h int, u, v float64) (float64, bool) {
	if !(u >= 0 && v >= 0 && u <= float64(w-1) && v <= float64(h-1)) {
		return 0, false
	}
	x0, y0 := int(u), int(v)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := u-float64(x0), v-float64(y0)
	a := float64(d[y0*w+x0])*(1-fx) + float64(d[y0*w+x1])*fx
	b := float64(d[y1*w+x0])*(1-fx) + float64(d[y1*w+x1])*fx
	return a*(1-fy) + b*fy, true
}

// highPass subtracts from d its mean over a (2r+1)² box (clamped at the
// borders) and stores the difference offset by 128, clamped to [0, 255]:
// the score then rewards points on edges relative to their surroundings,
// not points pulled into regions dense with edges.
func highPass(d []uint8, w, h, r int) []uint8 {
	if r <= 0 {
		return d
	}
	ii := make([]int64, (w+1)*(h+1))
	for y := 0; y < h; y++ {
		var row int64
		for x := 0; x < w; x++ {
			row += int64(d[y*w+x])
			ii[(y+1)*(w+1)+x+1] = ii[y*(w+1)+x+1] + row
		}
	}
	// 1/count of the box per column and per row (boxes are clamped at the
	// borders), so the mean is a product, not a division.
	invX, invY := make([]float64, w), make([]float64, h)
	x0s, x1s := make([]int, w), make([]int, w)
	for x := range w {
		x0s[x], x1s[x] = max(0, x-r), min(w, x+r+1)
		invX[x] = 1 / float64(x1s[x]-x0s[x])
	}
	for y := range h {
		invY[y] = 1 / float64(min(h, y+r+1)-max(0, y-r))
	}
	out := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		top, bot := ii[max(0, y-r)*(w+1):], ii[min(h, y+r+1)*(w+1):]
		row, dst := d[y*w:(y+1)*w], out[y*w:(y+1)*w]
		iy := invY[y]
		for x := range row {
			x0, x1 := x0s[x], x1s[x]
			sum := bot[x1] - top[x1] - bot[x0] + top[x0]
			v := float64(row[x]) - float64(sum)*invX[x]*iy + 128.5
			dst[x] = uint8(max(0, min(255, v)))
		}
	}
	return out
}

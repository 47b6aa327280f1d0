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
	"github.com/rigsync/rigsync/internal/jpegcodec"
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
		var img image.Image
		if len(im.Data) > 1 && im.Data[0] == 0xFF && im.Data[1] == 0xD8 {
			img, err = jpegcodec.Decode(im.Data) // image/jpeg's exact image, about 2x faster
		} else {
			img, _, err = image.Decode(bytes.NewReader(im.Data))
		}
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

// scratch holds a Checker's working buffers for the edge transform of an
// image, reused from frame to frame (a Checker works on one frame at a
// time): at 640×400 the transform's intermediates are about 2 MB a frame,
// which as fresh allocations kept the garbage collector busy.
type scratch struct {
	gray, edge, low []uint8
	m               []uint32
	col, pre        []int64
	// spare is the transform of a frame that was not kept, for the next.
	spare []uint8
}

// grow returns b resized to n, reallocated when too small (the contents
// are not kept).
func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// grayOf returns the image's luma as a w×h row-major slice.
func grayOf(img image.Image) (g []uint8, w, h int) { return grayInto(nil, img) }

// grayInto is grayOf into buf (grown as needed).
func grayInto(buf []uint8, img image.Image) (g []uint8, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	g = grow(buf, w*h)
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
func edges(g []uint8, w, h int) []uint8 { return edgesInto(nil, g, w, h) }

// edgesInto is edges into buf (grown as needed). Inside the border the
// 3×3 minimum and maximum are separable: the 3-wide minimum and maximum of
// each row are found once and combined over three rows.
func edgesInto(buf, g []uint8, w, h int) []uint8 {
	e := grow(buf, w*h)
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
	if w < 3 || h < 3 {
		for y := range h {
			for x := range w {
				border(x, y)
			}
		}
		return e
	}
	for x := range w {
		border(x, 0)
		border(x, h-1)
	}
	// lo[k], hi[k]: the 3-wide row minimum and maximum of rows y−1, y,
	// y+1 (k = row mod 3) at x = 1 … w−2.
	var lo, hi [3][]uint8
	rowMinMax := func(y int) {
		k := y % 3
		lo[k], hi[k] = grow(lo[k], w), grow(hi[k], w)
		row := g[y*w : (y+1)*w]
		l, u := lo[k][:len(row)], hi[k][:len(row)]
		for x := 1; x < len(row)-1; x++ {
			a, b, c := int(row[x-1]), int(row[x]), int(row[x+1])
			l[x], u[x] = uint8(min(a, b, c)), uint8(max(a, b, c))
		}
	}
	rowMinMax(0)
	rowMinMax(1)
	for y := 1; y < h-1; y++ {
		rowMinMax(y + 1)
		row := g[y*w : (y+1)*w]
		n := len(row)
		out := e[y*w : (y+1)*w][:n]
		l0, l1, l2 := lo[(y-1)%3][:n], lo[y%3][:n], lo[(y+1)%3][:n]
		h0, h1, h2 := hi[(y-1)%3][:n], hi[y%3][:n], hi[(y+1)%3][:n]
		for x := 1; x < n-1; x++ {
			c := int(row[x])
			l := min(int(l0[x]), int(l1[x]), int(l2[x]))
			u := max(int(h0[x]), int(h1[x]), int(h2[x]))
			out[x] = uint8(max(u-c, c-l))
		}
		border(0, y)
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
	return idtInto(nil, e, w, h, alpha, gamma, &scratch{})
}

// idtInto is idt into dst (grown as needed), with its working buffer from
// sc.
func idtInto(dst, e []uint8, w, h int, alpha, gamma float64, sc *scratch) []uint8 {
	// Fixed point: values ×256 in uint32, the decay a multiply by
	// γ·2¹⁶ and a shift (integer max is much faster than float max with
	// its NaN rules); a value is at most 255·256 and the factor at most
	// 2¹⁶, so the product fits in 32 bits. A zero border of one pixel
	// spares the bounds checks.
	W := w + 2
	m := grow(sc.m, W*(h+2))
	sc.m = m
	clear(m[:W])
	clear(m[(h+1)*W:])
	for y := 0; y < h; y++ {
		row := m[(y+1)*W : (y+2)*W]
		row[0], row[W-1] = 0, 0
		for x, v := range e[y*w : (y+1)*w] {
			row[x+1] = uint32(v) << 8
		}
	}
	g := uint32(math.Round(min(1, max(0, gamma)) * 65536))
	// Forward pass: each pixel takes the decayed largest of its left
	// neighbour (already final) and its three neighbours above. The decay
	// is monotone, so decay(max(a, b)) = max(decay(a), decay(b)): the
	// neighbours above are decayed first, in a loop of their own, and
	// only the left neighbour's decay is in the chain from pixel to pixel.
	for y := 1; y <= h; y++ {
		row := m[y*W : (y+1)*W]
		up := m[(y-1)*W : y*W][:len(row)]
		for x := 1; x < len(row)-1; x++ {
			row[x] = max(row[x], max(up[x-1], up[x], up[x+1])*g>>16)
		}
		left := row[0]
		for x := 1; x < len(row)-1; x++ {
			v := max(row[x], left*g>>16)
			row[x] = v
			left = v
		}
	}
	// Backward pass: the right neighbour and the three below.
	for y := h; y >= 1; y-- {
		row := m[y*W : (y+1)*W]
		dn := m[(y+1)*W : (y+2)*W][:len(row)]
		for x := 1; x < len(row)-1; x++ {
			row[x] = max(row[x], max(dn[x-1], dn[x], dn[x+1])*g>>16)
		}
		right := row[len(row)-1]
		for x := len(row) - 2; x >= 1; x-- {
			v := max(row[x], right*g>>16)
			row[x] = v
			right = v
		}
	}
	d := grow(dst, w*h)
	a := uint32(math.Round(min(1, max(0, alpha)) * 256))
	for y := 0; y < h; y++ {
		er := e[y*w : (y+1)*w]
		row := m[(y+1)*W+1 : (y+1)*W+1+w][:len(er)]
		out := d[y*w : (y+1)*w][:len(er)]
		for x, v := range er {
			// (α·E·256 + (1−α)·M) / 256, rounded; all ×256.
			s := (a*(uint32(v)<<8) + (256-a)*row[x] + 1<<15) >> 16
			out[x] = uint8(min(255, s))
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
func highPass(d []uint8, w, h, r int) []uint8 { return highPassInto(nil, d, w, h, r, &scratch{}) }

// highPassInto is highPass into dst (grown as needed; not d), with its
// working buffers from sc; it returns d itself when r ≤ 0. The box sums are kept per column as the box slides down
// the rows (one row added, one dropped), then summed along the row by
// prefix sums: the same integer sums as an integral image, with O(w)
// memory.
func highPassInto(dst, d []uint8, w, h, r int, sc *scratch) []uint8 {
	if r <= 0 {
		return d
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
	col := grow(sc.col, w)
	pre := grow(sc.pre, w+1)
	sc.col, sc.pre = col, pre
	clear(col)
	// col holds the sums of rows [y0, y1) of each column.
	y0, y1 := 0, 0
	out := grow(dst, w*h)
	for y := 0; y < h; y++ {
		for ; y1 < min(h, y+r+1); y1++ {
			for x, v := range d[y1*w : (y1+1)*w] {
				col[x] += int64(v)
			}
		}
		for ; y0 < max(0, y-r); y0++ {
			for x, v := range d[y0*w : (y0+1)*w] {
				col[x] -= int64(v)
			}
		}
		pre[0] = 0
		for x, v := range col {
			pre[x+1] = pre[x] + v
		}
		row, dst := d[y*w:(y+1)*w], out[y*w:(y+1)*w]
		iy := invY[y]
		px := func(x int) {
			sum := pre[x1s[x]] - pre[x0s[x]]
			v := float64(row[x]) - float64(sum)*invX[x]*iy + 128.5
			dst[x] = uint8(max(0, min(255, v)))
		}
		if w <= 2*r {
			for x := range row {
				px(x)
			}
			continue
		}
		// Columns r … w−r−1 have the whole box: the sum is
		// pre[x+r+1] − pre[x−r], the same arithmetic without the
		// clamped bounds (the same bytes).
		for x := range r {
			px(x)
		}
		n := w - 2*r
		rowI, dstI, invI := row[r:r+n], dst[r : r+n][:n], invX[r : r+n][:n]
		loP, hiP := pre[:n], pre[2*r+1:][:n]
		for k, c := range rowI {
			v := float64(c) - float64(hiP[k]-loP[k])*invI[k]*iy + 128.5
			dstI[k] = uint8(max(0, min(255, v)))
		}
		for x := w - r; x < w; x++ {
			px(x)
		}
	}
	return out
}

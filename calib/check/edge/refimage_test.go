package edge

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The reference implementations of the edge map, the inverse distance
// transform and the high-pass as they were before they were made faster
// (commit b88bb9b): the fast ones must give the same bytes.

func refEdges(g []uint8, w, h int) []uint8 {
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

func refIdt(e []uint8, w, h int, alpha, gamma float64) []uint8 {
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

func refHighPass(d []uint8, w, h, r int) []uint8 {
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

// The fast edge map, transform and high-pass give the bytes of the
// reference implementations, on images of every shape class (thinner than
// the 3×3 neighbourhood, boxes wider than the image, the urban camera's
// 640×400) and edge densities from sparse to every pixel, with scratch
// buffers reused across sizes as a Checker reuses them.
func TestFastTransformsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	sc := &scratch{}
	var e, d, hp []uint8
	for _, tc := range []struct {
		w, h         int
		alpha, gamma float64
		density      float64
		r            int
	}{
		{1, 1, 1.0 / 3, 0.8, 1, 8},
		{2, 5, 1.0 / 3, 0.8, 0.5, 1},
		{5, 2, 0.5, 0.98, 0.5, 2},
		{3, 3, 1.0 / 3, 1, 1, 1},
		{17, 9, 1.0 / 3, 0.98, 0.05, 8},
		{40, 12, 0.1, 0.5, 0.2, 3},
		{640, 400, 1.0 / 3, 0.8, 0.1, 8},
		{641, 37, 0, 0, 0.3, 0},
		{64, 48, 1, 1, 1, 30},
	} {
		g := make([]uint8, tc.w*tc.h)
		for i := range g {
			if rng.Float64() < tc.density {
				g[i] = uint8(rng.IntN(256))
			}
		}
		name := fmt.Sprintf("%dx%d", tc.w, tc.h)
		e = edgesInto(e, g, tc.w, tc.h)
		if want := refEdges(g, tc.w, tc.h); !bytes.Equal(e, want) {
			t.Fatalf("%s: edges differ from the reference", name)
		}
		d = idtInto(d, e, tc.w, tc.h, tc.alpha, tc.gamma, sc)
		if want := refIdt(e, tc.w, tc.h, tc.alpha, tc.gamma); !bytes.Equal(d, want) {
			t.Fatalf("%s: idt differs from the reference", name)
		}
		hp = highPassInto(hp, d, tc.w, tc.h, tc.r, sc)
		if want := refHighPass(d, tc.w, tc.h, tc.r); !bytes.Equal(hp, want) {
			t.Fatalf("%s r=%d: highPass differs from the reference", name, tc.r)
		}
		if tc.r <= 0 {
			hp = nil // d itself
		}
	}
}

// BenchmarkTransform is the edge map, transform and high-pass of one
// 640×400 image (the urban rig's cameras), fast against the reference.
func BenchmarkTransform(b *testing.B) {
	w, h := 640, 400
	rng := rand.New(rand.NewPCG(9, 10))
	g := make([]uint8, w*h)
	for i := range g {
		g[i] = uint8(rng.IntN(256))
	}
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			refHighPass(refIdt(refEdges(g, w, h), w, h, 1.0/3, 0.8), w, h, 8)
		}
	})
	b.Run("fast", func(b *testing.B) {
		sc := &scratch{}
		var e, d, hp []uint8
		for b.Loop() {
			e = edgesInto(e, g, w, h)
			d = idtInto(d, e, w, h, 1.0/3, 0.8, sc)
			hp = highPassInto(hp, d, w, h, 8, sc)
		}
	})
}

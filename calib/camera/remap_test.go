package camera

import (
	"math"
	"math/rand/v2"
	"testing"
)

// RemapRGBA gives, channel for channel, exactly what Remap gives,
// including pixels that map outside the image, onto its last row and
// column, and onto exact half-way values.
func TestRemapRGBAMatchesRemap(t *testing.T) {
	const w, h = 97, 61
	r := rand.New(rand.NewPCG(7, 8))
	src := make([]byte, 4*w*h)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	mapX, mapY := make([]float32, w*h), make([]float32, w*h)
	for i := range mapX {
		switch i % 7 {
		case 0: // outside
			mapX[i], mapY[i] = -0.25, float32(r.Float64()*h)
		case 1: // last column / row
			mapX[i], mapY[i] = w-1, h-1
		case 2: // half-way between two pixels
			mapX[i], mapY[i] = float32(r.IntN(w-1))+0.5, float32(r.IntN(h))
		default:
			mapX[i], mapY[i] = float32(r.Float64()*(w+2)-1), float32(r.Float64()*(h+2)-1)
		}
	}
	dst := make([]byte, 4*w*h)
	if err := RemapRGBA(dst, src, w, h, mapX, mapY); err != nil {
		t.Fatal(err)
	}
	for k := range 3 {
		plane := make([]byte, w*h)
		for i := range plane {
			plane[i] = src[4*i+k]
		}
		want, err := Remap(plane, w, h, mapX, mapY)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if dst[4*i+k] != want[i] {
				t.Fatalf("channel %d pixel %d: %d, Remap %d", k, i, dst[4*i+k], want[i])
			}
			if dst[4*i+3] != 255 {
				t.Fatalf("pixel %d alpha %d", i, dst[4*i+3])
			}
		}
	}
	for _, p := range []float64{0, 0.49999999999999994, 0.5, 1.5, 2.4999999999999996, 2.5, 254.5, 254.49999999999997, 255, 255.00000000000003} {
		if got, want := roundByte(p), byte(math.Round(p)); got != want {
			t.Errorf("roundByte(%v) = %d, math.Round %d", p, got, want)
		}
	}
	if err := RemapRGBA(dst, src[:8], w, h, mapX, mapY); err == nil {
		t.Error("a short image was accepted")
	}
}

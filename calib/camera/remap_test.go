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

// testMaps are random maps over w×h that hit every case of remap: outside
// the image, its last row and column, exact half-way values.
func testMaps(r *rand.Rand, w, h int) (mapX, mapY []float32) {
	mapX, mapY = make([]float32, w*h), make([]float32, w*h)
	for i := range mapX {
		switch i % 7 {
		case 0: // outside
			mapX[i], mapY[i] = -0.25, float32(r.Float64()*float64(h))
		case 1: // last column / row
			mapX[i], mapY[i] = float32(w-1), float32(h-1)
		case 2: // half-way between two pixels
			mapX[i], mapY[i] = float32(r.IntN(w-1))+0.5, float32(r.IntN(h))
		case 3: // -1, as UndistortMap marks rays it cannot see
			mapX[i], mapY[i] = -1, -1
		default:
			mapX[i], mapY[i] = float32(r.Float64()*float64(w+2)-1), float32(r.Float64()*float64(h+2)-1)
		}
	}
	return mapX, mapY
}

// A RemapTable gives what the per-pixel Remap and RemapRGBA give within 1
// (its weights are rounded to 1/256 px), exactly where the map hits a
// pixel or a half-way point, leaves outside pixels alone, and rows done
// in separate calls or with padded strides give the same bytes.
func TestRemapTable(t *testing.T) {
	const w, h = 97, 61
	r := rand.New(rand.NewPCG(9, 10))
	src := make([]byte, 4*w*h)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	mapX, mapY := testMaps(r, w, h)
	tab, err := NewRemapTable(w, h, w, h, mapX, mapY)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 4*w*h)
	if err := RemapRGBA(want, src, w, h, mapX, mapY); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4*w*h)
	for i := range got {
		got[i] = 7 // outside pixels must keep it
	}
	for y := 0; y < h; y += 13 {
		if err := tab.RemapRGBA(got, src, y, min(y+13, h)); err != nil {
			t.Fatal(err)
		}
	}
	exact := func(v float32) bool { return v == float32(int(v)) || v-float32(int(v)) == 0.5 }
	for i := range w * h {
		in := mapX[i] >= 0 && mapY[i] >= 0 && mapX[i] <= w-1 && mapY[i] <= h-1
		for k := range 4 {
			g, want := int(got[4*i+k]), int(want[4*i+k])
			switch {
			case k == 3:
				if g != 255 {
					t.Fatalf("pixel %d: alpha %d", i, g)
				}
			case !in:
				if g != 7 {
					t.Fatalf("outside pixel %d channel %d changed to %d", i, k, g)
				}
			case exact(mapX[i]) && exact(mapY[i]) && g != want:
				t.Fatalf("pixel %d channel %d at (%v, %v): table %d, RemapRGBA %d", i, k, mapX[i], mapY[i], g, want)
			case g-want > 1 || want-g > 1:
				t.Fatalf("pixel %d channel %d at (%v, %v): table %d, RemapRGBA %d", i, k, mapX[i], mapY[i], g, want)
			}
		}
	}
	// One channel, source rows padded to a stride of w+5, output to w+3.
	gray := make([]byte, (w+5)*h)
	plane := make([]byte, w*h)
	for y := range h {
		for x := range w {
			gray[y*(w+5)+x] = src[4*(y*w+x)]
			plane[y*w+x] = src[4*(y*w+x)]
		}
	}
	wantG, err := Remap(plane, w, h, mapX, mapY)
	if err != nil {
		t.Fatal(err)
	}
	gotG := make([]byte, (w+3)*h)
	if err := tab.Remap(gotG, w+3, gray, w+5, 0, h); err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for x := range w {
			in := got[4*(y*w+x)] != 7 || mapX[y*w+x] >= 0 && mapY[y*w+x] >= 0 && mapX[y*w+x] <= w-1 && mapY[y*w+x] <= h-1
			if g, want := int(gotG[y*(w+3)+x]), int(wantG[y*w+x]); g-want > 1 || want-g > 1 || in && g != int(got[4*(y*w+x)]) {
				t.Fatalf("gray (%d, %d): table %d, Remap %d, RGBA table %d", x, y, g, want, got[4*(y*w+x)])
			}
		}
	}
	if err := tab.RemapRGBA(got, src[:8], 0, h); err == nil {
		t.Error("a short image was accepted")
	}
	if err := tab.Remap(gotG, w+3, gray, w+5, 0, h+1); err == nil {
		t.Error("rows past the image were accepted")
	}
	if _, err := NewRemapTable(w, h, w, h, mapX[:5], mapY); err == nil {
		t.Error("short maps were accepted")
	}
}

// BenchmarkRemapRGBA remaps one 1280×720 RGBA image through a plumb_bob
// undistortion map: the per-pixel RemapRGBA vs the precomputed table.
func BenchmarkRemapRGBA(b *testing.B) {
	const w, h = 1280, 720
	in := Intrinsics{Fx: 900, Fy: 900, Cx: 640, Cy: 360, Width: w, Height: h}
	src, err := New("plumb_bob", in, []float64{-0.3, 0.1, 0.001, -0.001, 0})
	if err != nil {
		b.Fatal(err)
	}
	dst, err := NewPinhole(in, nil)
	if err != nil {
		b.Fatal(err)
	}
	mapX, mapY, err := UndistortMap(src, dst, w, h)
	if err != nil {
		b.Fatal(err)
	}
	img, out := make([]byte, 4*w*h), make([]byte, 4*w*h)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	b.Run("per-pixel", func(b *testing.B) {
		for b.Loop() {
			if err := RemapRGBA(out, img, w, h, mapX, mapY); err != nil {
				b.Fatal(err)
			}
		}
	})
	tab, err := NewRemapTable(w, h, w, h, mapX, mapY)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			if err := tab.RemapRGBA(out, img, 0, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRemapGray remaps one 640×400 plane (the fixture cameras' luma)
// through a plumb_bob undistortion map: the per-pixel Remap vs the
// precomputed table (ns/px per output pixel).
func BenchmarkRemapGray(b *testing.B) {
	const w, h = 640, 400
	in := Intrinsics{Fx: 450, Fy: 450, Cx: 320, Cy: 200, Width: w, Height: h}
	src, err := New("plumb_bob", in, []float64{-0.3, 0.1, 0.001, -0.001, 0})
	if err != nil {
		b.Fatal(err)
	}
	dst, err := NewPinhole(in, nil)
	if err != nil {
		b.Fatal(err)
	}
	mapX, mapY, err := UndistortMap(src, dst, w, h)
	if err != nil {
		b.Fatal(err)
	}
	img, out := make([]byte, w*h), make([]byte, w*h)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	tab, err := NewRemapTable(w, h, w, h, mapX, mapY)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("per-pixel", func(b *testing.B) {
		for b.Loop() {
			if _, err := Remap(img, w, h, mapX, mapY); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(w*h), "ns/px")
	})
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			if err := tab.Remap(out, w, img, w, 0, h); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(w*h), "ns/px")
	})
}

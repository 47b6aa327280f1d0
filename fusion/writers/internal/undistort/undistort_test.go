package undistort

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/formats"
)

// benchInfo is a 1280×720 plumb_bob camera with a strong lens.
var benchInfo = formats.CameraInfo{
	DistortionModel: "plumb_bob",
	K:               [9]float64{900, 0, 640, 0, 900, 360, 0, 0, 1},
	D:               []float64{-0.3, 0.1, 0.001, -0.001, 0},
}

func noise(n int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// near fails unless every byte of got is within 1 of want's.
func near(t *testing.T, what string, got, want []byte) {
	t.Helper()
	for i := range want {
		if d := int(got[i]) - int(want[i]); d > 1 || d < -1 {
			t.Fatalf("%s byte %d: %d, camera.Remap %d", what, i, got[i], want[i])
		}
	}
}

// Apply remaps a gray image and a colour one through the fixed-point
// tables: each channel within 1 of the per-pixel camera.Remap.
func TestApply(t *testing.T) {
	const w, h = 160, 90
	info := benchInfo
	info.K = [9]float64{112.5, 0, 80, 0, 112.5, 45, 0, 0, 1}
	u, err := New(&info, w, h)
	if err != nil {
		t.Fatal(err)
	}
	g := &image.Gray{Pix: noise(w * h), Stride: w, Rect: image.Rect(0, 0, w, h)}
	out, err := u.Apply(g)
	if err != nil {
		t.Fatal(err)
	}
	want, err := camera.Remap(g.Pix, w, h, u.mapX, u.mapY)
	if err != nil {
		t.Fatal(err)
	}
	og, ok := out.(*image.Gray)
	if !ok {
		t.Fatalf("gray image gives %T", out)
	}
	near(t, "gray", og.Pix, want)
	c := &image.RGBA{Pix: noise(4 * w * h), Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	out, err = u.Apply(c)
	if err != nil {
		t.Fatal(err)
	}
	oc, ok := out.(*image.RGBA)
	if !ok {
		t.Fatalf("colour image gives %T", out)
	}
	plane, got := make([]byte, w*h), make([]byte, w*h)
	for k := range 3 {
		for i := range plane {
			plane[i], got[i] = c.Pix[4*i+k], oc.Pix[4*i+k]
			if oc.Pix[4*i+3] != 255 {
				t.Fatalf("pixel %d: alpha %d", i, oc.Pix[4*i+3])
			}
		}
		want, _ := camera.Remap(plane, w, h, u.mapX, u.mapY)
		near(t, "channel "+string(rune('0'+k)), got, want)
	}
	if _, err := u.Apply(image.NewGray(image.Rect(0, 0, w+1, h))); err == nil {
		t.Error("an image of another size was accepted")
	}
}

// scene is a w×h colour test picture: smooth gradients and a
// sharp-edged disc.
func scene(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r, g, b := byte(255*x/w), byte(255*y/h), byte(128+100*x*y/(w*h))
			if dx, dy := x-w/3, y-h/2; dx*dx+dy*dy < h*h/16 {
				r, g, b = 230, 40, 30
			}
			i := m.PixOffset(x, y)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = r, g, b, 255
		}
	}
	return m
}

// toYCbCr converts an RGBA picture as the JPEG encoder does: Y, Cb, Cr per
// pixel, chroma averaged over each sample's pixels.
func toYCbCr(m *image.RGBA, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	b := m.Bounds()
	out := image.NewYCbCr(b, ratio)
	sum := make([][3]int, len(out.Cb))
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := m.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			out.Y[out.YOffset(x, y)] = yy
			ci := out.COffset(x, y)
			sum[ci][0] += int(cb)
			sum[ci][1] += int(cr)
			sum[ci][2]++
		}
	}
	for i, s := range sum {
		out.Cb[i], out.Cr[i] = byte((s[0]+s[2]/2)/s[2]), byte((s[1]+s[2]/2)/s[2])
	}
	return out
}

// psnr is the PSNR in dB of plane a against b.
func psnr(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(len(a))/se)
}

func toRGBA(m image.Image) *image.RGBA {
	out := image.NewRGBA(m.Bounds())
	draw.Draw(out, out.Bounds(), m, m.Bounds().Min, draw.Src)
	return out
}

// A decoded JPEG (YCbCr, any subsampling) is remapped plane by plane and
// stays YCbCr of its subsampling. Against the RGB path (the picture
// converted to RGB, remapped, and converted back to YCbCr as the JPEG
// encoder does), luma is within 2 everywhere and chroma close (PSNR ≥ 33
// dB even at 1/8 chroma resolution with a sharp colour edge in the
// picture); a pixel whose ray leaves the recorded image is black.
func TestApplyYCbCr(t *testing.T) {
	const w, h = 320, 200
	info := benchInfo
	info.K = [9]float64{225, 0, 160, 0, 225, 100, 0, 0, 1}
	info.D = []float64{0.3, 0.1, 0.001, -0.001, 0} // pincushion: the corners see nothing
	u, err := New(&info, w, h)
	if err != nil {
		t.Fatal(err)
	}
	outside := -1
	for i := range u.mapX {
		if u.mapX[i] < 0 {
			outside = i
			break
		}
	}
	if outside < 0 {
		t.Fatal("test lens: no pixel outside the recorded image")
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		ycc := toYCbCr(scene(w, h), ratio)
		out, err := u.Apply(ycc)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := out.(*image.YCbCr)
		if !ok || got.SubsampleRatio != ratio {
			t.Fatalf("%v: Apply gives %T", ratio, out)
		}
		rgb, err := u.Apply(toRGBA(ycc))
		if err != nil {
			t.Fatal(err)
		}
		want := toYCbCr(rgb.(*image.RGBA), ratio)
		for i := range want.Y {
			if d := int(got.Y[i]) - int(want.Y[i]); d > 2 || d < -2 {
				t.Fatalf("%v: Y[%d] = %d, RGB path %d", ratio, i, got.Y[i], want.Y[i])
			}
		}
		pb, pr := psnr(got.Cb, want.Cb), psnr(got.Cr, want.Cr)
		t.Logf("%v: chroma PSNR Cb %.1f dB, Cr %.1f dB", ratio, pb, pr)
		if pb < 33 || pr < 33 {
			t.Errorf("%v: chroma PSNR Cb %.1f dB, Cr %.1f dB against the RGB path, want ≥ 33", ratio, pb, pr)
		}
		if c := toRGBA(got).RGBAAt(outside%w, outside/w); c.R > 1 || c.G > 1 || c.B > 1 {
			t.Errorf("%v: pixel %d (outside the recorded image) %v, want black", ratio, outside, c)
		}
	}
}

// BenchmarkApply undistorts one 1280×720 image per iteration.
func BenchmarkApply(b *testing.B) {
	const w, h = 1280, 720
	u, err := New(&benchInfo, w, h)
	if err != nil {
		b.Fatal(err)
	}
	imgs := map[string]image.Image{
		"gray": &image.Gray{Pix: noise(w * h), Stride: w, Rect: image.Rect(0, 0, w, h)},
		"rgba": &image.RGBA{Pix: noise(4 * w * h), Stride: 4 * w, Rect: image.Rect(0, 0, w, h)},
	}
	for _, name := range []string{"gray", "rgba"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := u.Apply(imgs[name]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

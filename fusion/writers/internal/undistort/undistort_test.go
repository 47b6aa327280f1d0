package undistort

import (
	"image"
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

// Apply remaps a gray image with camera.Remap and a colour one with
// camera.RemapRGBA: each channel is camera.Remap of that channel.
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
	if og, ok := out.(*image.Gray); !ok || string(og.Pix) != string(want) {
		t.Fatalf("gray image: %T, not camera.Remap's pixels", out)
	}
	c := &image.RGBA{Pix: noise(4 * w * h), Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	out, err = u.Apply(c)
	if err != nil {
		t.Fatal(err)
	}
	oc, ok := out.(*image.RGBA)
	if !ok {
		t.Fatalf("colour image gives %T", out)
	}
	plane := make([]byte, w*h)
	for k := range 3 {
		for i := range plane {
			plane[i] = c.Pix[4*i+k]
		}
		want, _ := camera.Remap(plane, w, h, u.mapX, u.mapY)
		for i := range want {
			if oc.Pix[4*i+k] != want[i] || oc.Pix[4*i+3] != 255 {
				t.Fatalf("channel %d pixel %d: %d alpha %d, camera.Remap %d", k, i, oc.Pix[4*i+k], oc.Pix[4*i+3], want[i])
			}
		}
	}
	if _, err := u.Apply(image.NewGray(image.Rect(0, 0, w+1, h))); err == nil {
		t.Error("an image of another size was accepted")
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

package edge

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fusion/fused"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/spatial/r3"
)

// FuzzAdd feeds arbitrary image bytes (as a compressed or raw image) and
// a small cloud through Add and Results: no panic, no hang; an image that
// does not decode is skipped with a note.
func FuzzAdd(f *testing.F) {
	img := image.NewGray(image.Rect(0, 0, 16, 12))
	for x := 0; x < 16; x++ {
		for y := 0; y < 12; y++ {
			if x > 7 {
				img.Set(x, y, color.Gray{220})
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		f.Fatal(err)
	}
	valid := buf.Bytes()
	f.Add(valid, false)
	f.Add(img.Pix, true)
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xff, 0xff, 0xff, 0xff, 1, 1, 0x11, 0}, false)
	f.Add([]byte("\x89PNG\r\n\x1a\n"), false)
	cloud := scan(r3.Vec{Z: 2}, []float64{-0.02, 0, 0.02}, 64, func(ring, col int, az, el float64) float64 {
		if col > 28 && col < 36 && ring < 2 {
			return 4
		}
		return 12
	})
	info := formats.CameraInfo{Width: 16, Height: 12, DistortionModel: "plumb_bob", D: make([]float64, 5),
		K: [9]float64{10, 0, 8, 0, 10, 6, 0, 0, 1}}
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		var p formats.Payload = &formats.CompressedImage{Format: "jpeg", Data: data}
		if raw {
			p = &formats.Image{Width: 16, Height: 12, Encoding: "mono8", Step: 16, Data: data}
		}
		c := NewCameraChecker("cam", "lidar", Options{MaxFrames: 4})
		for i := range 6 {
			fr := &fused.Frame{Index: i, Stamp: int64(i) * 1e8, EgoSource: "tf", Ego: se3.Identity(), Lidar: cloud,
				Cameras: []fused.Camera{{Name: "cam", Stamp: int64(i) * 1e8, Image: p, Info: info}}}
			// The cloud is in front of a camera looking along base x.
			fr.Cameras[0].BaseCamera = opticalLookingForward
			if err := c.Add(fr); err != nil {
				t.Fatal(err)
			}
		}
		res, _, err := c.Results()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(data, valid) && res[0].Verdict == check.Skipped {
			t.Fatalf("the valid seed image was skipped: %s", res[0].Note)
		}
	})
}

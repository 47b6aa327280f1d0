package frames

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
)

// readerPixel is what a reader who follows frame.json's
// conventions.pixel_origin does with a projection (u, v): find the image
// pixel (column, row) that contains it.
func readerPixel(t *testing.T, origin string, u, v float64) (int, int) {
	t.Helper()
	switch {
	case strings.Contains(origin, "(0,0) is the centre of the top-left pixel"):
		// Pixel (i, j) spans [i−0.5, i+0.5) × [j−0.5, j+0.5).
		return int(math.Floor(u + 0.5)), int(math.Floor(v + 0.5))
	case strings.Contains(origin, "top-left corner of the top-left pixel"):
		// Pixel (i, j) spans [i, i+1) × [j, j+1).
		return int(math.Floor(u)), int(math.Floor(v))
	}
	t.Fatalf("conventions.pixel_origin %q: states no pixel origin this test can follow", origin)
	return 0, 0
}

// TestPixelOriginConvention checks frame.json's pixel_origin text against
// the numbers in the .proj.bin sidecars: a point is placed, by the OpenCV
// convention (u = fx·X/Z + cx with pixel centres at integers, what
// cv2.projectPoints gives), at a known sub-pixel position inside one pixel
// of a 64×48 image in which only that pixel is lit; rigsync projects it
// (fusion.ProjectCloud, as the pipeline does) and the frames writer writes
// it. The projection must equal OpenCV's, and a reader who follows
// pixel_origin must land on the lit pixel of the written image.
func TestPixelOriginConvention(t *testing.T) {
	const w, h = 64, 48
	in := camera.Intrinsics{Fx: 55, Fy: 57, Cx: 30.25, Cy: 20.75, Width: w, Height: h}
	model, err := camera.New("plumb_bob", in, []float64{0, 0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		col, row int     // the pixel the point is in
		du, dv   float64 // its offset from that pixel's centre
	}{
		{"right of centre, above", 10, 7, 0.4, -0.3},
		{"left of centre, below", 50, 40, -0.45, 0.45},
		{"at the centre", 31, 23, 0, 0},
		{"top-left pixel, near its top-left corner", 0, 0, -0.4, -0.4},
		{"bottom-right pixel, near its bottom-right corner", w - 1, h - 1, 0.45, 0.45},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The point on the ray of OpenCV pixel position (col+du, row+dv), 4 m deep.
			const depth = 4
			x := float32(depth * (float64(tc.col) + tc.du - in.Cx) / in.Fx)
			y := float32(depth * (float64(tc.row) + tc.dv - in.Cy) / in.Fy)
			z := float32(depth)
			wantU := in.Fx*float64(x)/float64(z) + in.Cx
			wantV := in.Fy*float64(y)/float64(z) + in.Cy

			img := image.NewGray(image.Rect(0, 0, w, h))
			img.SetGray(tc.col, tc.row, color.Gray{Y: 255})
			var pb bytes.Buffer
			if err := png.Encode(&pb, img); err != nil {
				t.Fatal(err)
			}
			// base_link is the optical frame here (BaseCamera identity).
			f := &fused.Frame{Index: 0, Stamp: 1_700_000_000_000_000_000, FrameID: "base_link", Ego: se3.Identity(), EgoSource: "none",
				Lidar: &fused.Cloud{Points: formats.Points{X: []float32{x}, Y: []float32{y}, Z: []float32{z}}, Deskew: "none"},
				Cameras: []fused.Camera{{Name: "cam", Stamp: 1_700_000_000_000_000_000,
					Image: &formats.CompressedImage{Format: "png", Data: pb.Bytes()},
					Info: formats.CameraInfo{Width: w, Height: h, DistortionModel: "plumb_bob", D: []float64{0, 0, 0, 0, 0},
						K: [9]float64{in.Fx, 0, in.Cx, 0, in.Fy, in.Cy, 0, 0, 1}},
					BaseCamera: se3.Identity()}}}
			a := fusion.AffineOf(f.Cameras[0].BaseCamera.Inverse())
			P := &f.Lidar.Points
			f.Cameras[0].Projected = fusion.ProjectCloud(nil, &a, model, 0.1, P.X, P.Y, P.Z)

			root := t.TempDir()
			writeFrames(t, root, Options{}, []*fused.Frame{f}, true)
			dir := filepath.Join(root, "000000")
			b, err := os.ReadFile(filepath.Join(dir, "frame.json"))
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Conventions struct {
					PixelOrigin string `json:"pixel_origin"`
				} `json:"conventions"`
				Cameras []struct {
					Image      string `json:"image"`
					Projection struct {
						File string `json:"file"`
					} `json:"projection"`
				} `json:"cameras"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Cameras) != 1 {
				t.Fatalf("%d cameras in frame.json", len(doc.Cameras))
			}
			sb, err := os.ReadFile(filepath.Join(dir, doc.Cameras[0].Projection.File))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := ReadProjections(sb)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 {
				t.Fatalf("%d projections, want the one point (OpenCV puts it at %.3f, %.3f inside the image)", len(ps), wantU, wantV)
			}
			u, v := float64(ps[0].U), float64(ps[0].V)
			if math.Abs(u-wantU) > 1e-4 || math.Abs(v-wantV) > 1e-4 {
				t.Errorf("projection (%.5f, %.5f), OpenCV (%.5f, %.5f)", u, v, wantU, wantV)
			}
			ib, err := os.ReadFile(filepath.Join(dir, doc.Cameras[0].Image))
			if err != nil {
				t.Fatal(err)
			}
			written, err := png.Decode(bytes.NewReader(ib))
			if err != nil {
				t.Fatal(err)
			}
			var lit [][2]int
			for r := 0; r < h; r++ {
				for c := 0; c < w; c++ {
					if y, _, _, _ := written.At(c, r).RGBA(); y > 0 {
						lit = append(lit, [2]int{c, r})
					}
				}
			}
			if len(lit) != 1 {
				t.Fatalf("written image has %d lit pixels, want 1", len(lit))
			}
			col, row := readerPixel(t, doc.Conventions.PixelOrigin, u, v)
			if [2]int{col, row} != lit[0] {
				t.Errorf("following pixel_origin %q, projection (%.3f, %.3f) is pixel (%d, %d); the point is in the lit pixel %v",
					doc.Conventions.PixelOrigin, u, v, col, row, lit[0])
			}
		})
	}
}

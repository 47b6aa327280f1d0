package edge

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
)

// overlay draws the LiDAR points of the kept frame with the most depth
// edges over its image, coloured by depth, with the current calibration
// (Before) and with the correction (After, when after is not nil).
func (c *Checker) overlay(frames []*frame, after *se3.Transform) (check.Overlay, bool) {
	var fr *frame
	for _, f := range frames {
		if f.cloud != nil && (fr == nil || len(f.wt) > len(fr.wt)) {
			fr = f
		}
	}
	if fr == nil {
		return check.Overlay{}, false
	}
	img, err := decodeImage(fr.img, fr.w, fr.h)
	if err != nil {
		return check.Overlay{}, false
	}
	ov := check.Overlay{Sensor: c.cam, Reference: c.lidar, Stamp: fr.camStamp}
	ov.Before = c.draw(img, fr, se3.Identity())
	if after != nil {
		ov.After = c.draw(img, fr, *after)
	}
	return ov, true
}

// draw returns a copy of img with fr's cloud, seen through correction C,
// drawn as small dots coloured by depth (near red → far blue).
func (c *Checker) draw(img image.Image, fr *frame, C se3.Transform) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	T := C.Inverse()
	in := c.model.Intrinsics()
	r := 1
	if b.Dx() >= 1000 {
		r = 2
	}
	for i := 0; i+2 < len(fr.cloud); i += 3 {
		p := T.Apply(vec3(fr.cloud[i:]))
		if p.Z <= 0.1 {
			continue
		}
		u, v, ok := c.model.Project(p)
		if !ok || !in.InImage(u, v) {
			continue
		}
		col := depthColor(p.Z)
		x0, y0 := int(math.Round(u)), int(math.Round(v))
		for dy := -r + 1; dy < r; dy++ {
			for dx := -r + 1; dx < r; dx++ {
				out.SetRGBA(x0+dx, y0+dy, col)
			}
		}
		if r == 1 {
			out.SetRGBA(x0+1, y0, col)
			out.SetRGBA(x0, y0+1, col)
			out.SetRGBA(x0+1, y0+1, col)
		}
	}
	return out
}

// depthColor maps depth (m) to a rainbow: 0–60 m on a log scale from red
// through yellow and green to blue.
func depthColor(z float64) color.RGBA {
	t := math.Log1p(max(0, z)) / math.Log1p(60)
	t = max(0, min(1, t))
	h := t * 240 // hue in degrees
	x := 1 - math.Abs(math.Mod(h/60, 2)-1)
	var r, g, b float64
	switch {
	case h < 60:
		r, g = 1, x
	case h < 120:
		r, g = x, 1
	case h < 180:
		g, b = 1, x
	default:
		g, b = x, 1
	}
	return color.RGBA{uint8(255 * r), uint8(255 * g), uint8(255 * b), 255}
}

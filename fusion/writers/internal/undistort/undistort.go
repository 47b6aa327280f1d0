// Package undistort turns a camera's recorded (distorted) images into ideal
// pinhole images with the same camera matrix K, for the output formats
// whose calibration can only describe a pinhole (nuScenes, KITTI).
//
// Maps are built once per camera and image size with calib/camera's
// UndistortMap (pixel (u, v) of the output samples the recorded image at
// the distorted position of the same ray) and applied with its bilinear
// interpolation (camera.Remap for gray images, camera.RemapRGBA for
// colour ones); pixels whose ray falls outside the recorded image are
// black.
package undistort

import (
	"fmt"
	"image"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/formats"
)

// Maps holds one camera's remap tables (distorted model → ideal pinhole
// with the same K) for W×H images. Apply only reads them, so one Maps may
// be used by several goroutines.
type Maps struct {
	W, H       int
	mapX, mapY []float32
}

// HasDistortion reports whether a camera calibration has any non-zero
// distortion coefficient.
func HasDistortion(info *formats.CameraInfo) bool {
	for _, d := range info.D {
		if d != 0 {
			return true
		}
	}
	return false
}

// New builds the undistortion maps of a camera for iw×ih images from its
// distortion model, K and D.
func New(info *formats.CameraInfo, iw, ih int) (*Maps, error) {
	K := info.K
	in := camera.Intrinsics{Fx: K[0], Fy: K[4], Cx: K[2], Cy: K[5], Width: iw, Height: ih}
	src, err := camera.New(info.DistortionModel, in, info.D)
	if err != nil {
		return nil, fmt.Errorf("camera model %q: %w", info.DistortionModel, err)
	}
	dst, err := camera.NewPinhole(in, nil)
	if err != nil {
		return nil, fmt.Errorf("pinhole: %w", err)
	}
	mx, my, err := camera.UndistortMap(src, dst, iw, ih)
	if err != nil {
		return nil, fmt.Errorf("undistort map: %w", err)
	}
	return &Maps{W: iw, H: ih, mapX: mx, mapY: my}, nil
}

// Apply remaps img (of the maps' size) through the undistortion maps,
// channel by channel: a gray image stays gray, anything else becomes RGBA
// (opaque). It only reads u.
func (u *Maps) Apply(img image.Image) (image.Image, error) {
	b := img.Bounds()
	iw, ih := u.W, u.H
	if b.Dx() != iw || b.Dy() != ih {
		return nil, fmt.Errorf("undistort: image is %dx%d, the maps %dx%d", b.Dx(), b.Dy(), iw, ih)
	}
	if g, ok := img.(*image.Gray); ok && g.Stride == iw {
		pix, err := camera.Remap(g.Pix, iw, ih, u.mapX, u.mapY)
		if err != nil {
			return nil, fmt.Errorf("remap: %w", err)
		}
		return &image.Gray{Pix: pix, Stride: iw, Rect: image.Rect(0, 0, iw, ih)}, nil
	}
	// The colour of every pixel as img.At(x, y).RGBA() gives it, without
	// the interface call and allocation per pixel for the usual types.
	at := func(x, y int) (r, g, bb uint32) { r, g, bb, _ = img.At(x, y).RGBA(); return }
	switch m := img.(type) {
	case *image.YCbCr:
		at = func(x, y int) (r, g, bb uint32) { r, g, bb, _ = m.YCbCrAt(x, y).RGBA(); return }
	case *image.RGBA:
		at = func(x, y int) (r, g, bb uint32) { r, g, bb, _ = m.RGBAAt(x, y).RGBA(); return }
	case *image.NRGBA:
		at = func(x, y int) (r, g, bb uint32) { r, g, bb, _ = m.NRGBAAt(x, y).RGBA(); return }
	}
	src := make([]byte, 4*iw*ih)
	for y := 0; y < ih; y++ {
		for x := 0; x < iw; x++ {
			r, g, bb := at(b.Min.X+x, b.Min.Y+y)
			i := 4 * (y*iw + x)
			src[i], src[i+1], src[i+2] = uint8(r>>8), uint8(g>>8), uint8(bb>>8)
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, iw, ih))
	if err := camera.RemapRGBA(out.Pix, src, iw, ih, u.mapX, u.mapY); err != nil {
		return nil, fmt.Errorf("remap: %w", err)
	}
	return out, nil
}

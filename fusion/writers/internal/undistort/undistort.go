// Package undistort turns a camera's recorded (distorted) images into ideal
// pinhole images with the same camera matrix K, for the output formats
// whose calibration can only describe a pinhole (nuScenes, KITTI).
//
// Maps are built once per camera and image size with calib/camera's
// UndistortMap (pixel (u, v) of the output samples the recorded image at
// the distorted position of the same ray) and turned into
// camera.RemapTables (bilinear, fixed-point weights) once; every image is
// then only sampled. A JPEG's YCbCr planes are remapped as they are (luma
// at full resolution, chroma at its own, through a table for the chroma
// grid) and come out as YCbCr of the same subsampling, so the image is
// never converted to RGB and back; a gray image stays gray; anything else
// is remapped as RGBA. Pixels whose ray falls outside the recorded image
// are black.
package undistort

import (
	"fmt"
	"image"
	"sync"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/formats"
)

// Maps holds one camera's remap tables (distorted model → ideal pinhole
// with the same K) for W×H images. Apply may be called by several
// goroutines at once.
type Maps struct {
	W, H       int
	mapX, mapY []float32
	luma       *camera.RemapTable

	mu     sync.Mutex
	chroma map[image.YCbCrSubsampleRatio]*camera.RemapTable
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
	return newMaps(iw, ih, mx, my)
}

func newMaps(iw, ih int, mx, my []float32) (*Maps, error) {
	luma, err := camera.NewRemapTable(iw, ih, iw, ih, mx, my)
	if err != nil {
		return nil, fmt.Errorf("undistort: %w", err)
	}
	return &Maps{W: iw, H: ih, mapX: mx, mapY: my, luma: luma, chroma: map[image.YCbCrSubsampleRatio]*camera.RemapTable{}}, nil
}

// subsampling is the chroma subsampling factors of a YCbCr ratio.
func subsampling(r image.YCbCrSubsampleRatio) (sx, sy int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// chromaTable returns the table of the chroma grid of ratio (cw×ch
// samples), building it on first use: chroma sample (cx, cy) sits at the
// centre of its sx×sy luma pixels, takes the mean of their maps (outside
// if any of them is) and samples the recorded chroma plane there.
func (u *Maps) chromaTable(r image.YCbCrSubsampleRatio, cw, ch int) (*camera.RemapTable, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if t := u.chroma[r]; t != nil {
		return t, nil
	}
	sx, sy, ok := subsampling(r)
	if !ok {
		return nil, fmt.Errorf("undistort: YCbCr subsampling %v", r)
	}
	mx, my := make([]float32, cw*ch), make([]float32, cw*ch)
	for cy := range ch {
		for cx := range cw {
			var su, sv float64
			n, out := 0, false
			for j := range sy {
				for i := range sx {
					x, y := min(sx*cx+i, u.W-1), min(sy*cy+j, u.H-1)
					mu, mv := u.mapX[y*u.W+x], u.mapY[y*u.W+x]
					if mu < 0 || mv < 0 || mu > float32(u.W-1) || mv > float32(u.H-1) {
						out = true
					}
					su, sv, n = su+float64(mu), sv+float64(mv), n+1
				}
			}
			k := cy*cw + cx
			if out {
				mx[k], my[k] = -1, -1
				continue
			}
			// Luma position → chroma grid position, inside the plane.
			uc := (su/float64(n) - float64(sx-1)/2) / float64(sx)
			vc := (sv/float64(n) - float64(sy-1)/2) / float64(sy)
			mx[k], my[k] = float32(min(max(uc, 0), float64(cw-1))), float32(min(max(vc, 0), float64(ch-1)))
		}
	}
	t, err := camera.NewRemapTable(cw, ch, cw, ch, mx, my)
	if err != nil {
		return nil, fmt.Errorf("undistort: chroma: %w", err)
	}
	u.chroma[r] = t
	return t, nil
}

// Apply remaps img (of the maps' size) through the undistortion maps: a
// YCbCr image (a decoded JPEG) stays YCbCr of the same subsampling, a gray
// image stays gray, anything else becomes RGBA (opaque).
func (u *Maps) Apply(img image.Image) (image.Image, error) {
	b := img.Bounds()
	iw, ih := u.W, u.H
	if b.Dx() != iw || b.Dy() != ih {
		return nil, fmt.Errorf("undistort: image is %dx%d, the maps %dx%d", b.Dx(), b.Dy(), iw, ih)
	}
	r := image.Rect(0, 0, iw, ih)
	if g, ok := img.(*image.Gray); ok && b.Min == (image.Point{}) {
		out := image.NewGray(r)
		if err := u.luma.Remap(out.Pix, out.Stride, g.Pix, g.Stride, 0, ih); err != nil {
			return nil, fmt.Errorf("remap: %w", err)
		}
		return out, nil
	}
	if m, ok := img.(*image.YCbCr); ok && b.Min == (image.Point{}) && iw > 1 && ih > 1 {
		if _, _, ok := subsampling(m.SubsampleRatio); ok {
			return u.applyYCbCr(m)
		}
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
	out := image.NewRGBA(r)
	if err := u.luma.RemapRGBA(out.Pix, src, 0, ih); err != nil {
		return nil, fmt.Errorf("remap: %w", err)
	}
	return out, nil
}

// applyYCbCr remaps the three planes of m; outside pixels are black (Y 0,
// Cb = Cr = 128).
func (u *Maps) applyYCbCr(m *image.YCbCr) (image.Image, error) {
	out := image.NewYCbCr(image.Rect(0, 0, u.W, u.H), m.SubsampleRatio)
	cw, ch := out.CStride, len(out.Cb)/out.CStride
	if len(m.Cb) < (ch-1)*m.CStride+cw || ch < 2 || cw < 2 {
		return nil, fmt.Errorf("undistort: %dx%d YCbCr %v: chroma planes of %d bytes (stride %d)", u.W, u.H, m.SubsampleRatio, len(m.Cb), m.CStride)
	}
	t, err := u.chromaTable(m.SubsampleRatio, cw, ch)
	if err != nil {
		return nil, err
	}
	for i := range out.Cb {
		out.Cb[i], out.Cr[i] = 128, 128
	}
	if err := u.luma.Remap(out.Y, out.YStride, m.Y, m.YStride, 0, u.H); err != nil {
		return nil, fmt.Errorf("remap: %w", err)
	}
	if err := t.Remap(out.Cb, out.CStride, m.Cb, m.CStride, 0, ch); err != nil {
		return nil, fmt.Errorf("remap: %w", err)
	}
	if err := t.Remap(out.Cr, out.CStride, m.Cr, m.CStride, 0, ch); err != nil {
		return nil, fmt.Errorf("remap: %w", err)
	}
	return out, nil
}

package nuscenes

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // PNG camera images are re-encoded as JPEG
	"strings"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
)

// undistorter holds one camera's remap tables (distorted model → ideal
// pinhole with the same K), built on the camera's first image.
type undistorter struct {
	w, h       int
	mapX, mapY []float32
}

// hasDistortion reports whether a camera calibration has any non-zero
// distortion coefficient (nuScenes can only describe an ideal pinhole).
func hasDistortion(info *formats.CameraInfo) bool {
	for _, d := range info.D {
		if d != 0 {
			return true
		}
	}
	return false
}

// jpeg returns the size of the camera image as nuScenes stores it and the
// work of encoding it: a JPEG, undistorted to a pinhole with the
// calibration's K when the model has distortion. An undistorted JPEG is
// copied as is. Only headers are read here (and the camera's undistortion
// maps built on its first image); the decoding and encoding happen in
// encode, which touches nothing the Writer changes.
func (w *Writer) jpeg(ch string, c *fusion.Camera) (width, height int, encode func() ([]byte, error), err error) {
	distorted := hasDistortion(&c.Info)
	quality := w.opts.JPEGQuality
	var decode func() (image.Image, error)
	switch p := c.Image.(type) {
	case *formats.CompressedImage:
		if !distorted && isJPEG(p) {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Data))
			if err != nil {
				return 0, 0, nil, fmt.Errorf("jpeg header: %w", err)
			}
			return cfg.Width, cfg.Height, func() ([]byte, error) { return p.Data, nil }, nil
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(p.Data))
		if err != nil {
			return 0, 0, nil, fmt.Errorf("decoding %q image: %w", p.Format, err)
		}
		width, height = cfg.Width, cfg.Height
		decode = func() (image.Image, error) {
			img, _, err := image.Decode(bytes.NewReader(p.Data))
			if err != nil {
				return nil, fmt.Errorf("decoding %q image: %w", p.Format, err)
			}
			return img, nil
		}
	case *formats.Image:
		img, err := rawImage(p)
		if err != nil {
			return 0, 0, nil, err
		}
		b := img.Bounds()
		width, height = b.Dx(), b.Dy()
		decode = func() (image.Image, error) { return img, nil }
	case nil:
		return 0, 0, nil, errors.New("no image")
	default:
		return 0, 0, nil, fmt.Errorf("unsupported image payload %T", c.Image)
	}
	var u *undistorter
	if distorted {
		if u, err = w.undistorter(ch, c, width, height); err != nil {
			return 0, 0, nil, err
		}
	}
	return width, height, func() ([]byte, error) {
		img, err := decode()
		if err != nil {
			return nil, err
		}
		if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
			return nil, fmt.Errorf("image is %dx%d, its header says %dx%d", b.Dx(), b.Dy(), width, height)
		}
		if u != nil {
			if img, err = u.apply(img); err != nil {
				return nil, err
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return nil, fmt.Errorf("jpeg encode: %w", err)
		}
		return buf.Bytes(), nil
	}, nil
}

func isJPEG(p *formats.CompressedImage) bool {
	f := strings.ToLower(p.Format)
	return strings.Contains(f, "jpeg") || strings.Contains(f, "jpg")
}

// rawImage converts the common 8-bit ROS encodings to an image.Image.
func rawImage(p *formats.Image) (image.Image, error) {
	ch := map[string]int{"mono8": 1, "8UC1": 1, "rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4}[p.Encoding]
	if ch == 0 {
		return nil, fmt.Errorf("image encoding %q not supported (want mono8, rgb8, bgr8, rgba8 or bgra8)", p.Encoding)
	}
	if p.Width <= 0 || p.Height <= 0 || p.Width > len(p.Data) || p.Step > len(p.Data) || p.Step < p.Width*ch || p.Height > len(p.Data)/max(p.Step, 1) ||
		(p.Height-1)*p.Step+p.Width*ch > len(p.Data) {
		return nil, fmt.Errorf("image %dx%d step %d does not fit %d bytes of %s", p.Width, p.Height, p.Step, len(p.Data), p.Encoding)
	}
	r := image.Rect(0, 0, p.Width, p.Height)
	if ch == 1 {
		g := image.NewGray(r)
		for y := 0; y < p.Height; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+p.Width], p.Data[y*p.Step:])
		}
		return g, nil
	}
	out := image.NewRGBA(r)
	bgr := p.Encoding[0] == 'b'
	for y := 0; y < p.Height; y++ {
		row := p.Data[y*p.Step:]
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < p.Width; x++ {
			s := row[x*ch:]
			R, G, B := s[0], s[1], s[2]
			if bgr {
				R, B = B, R
			}
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = R, G, B, 255
		}
	}
	return out, nil
}

// undistorter returns the camera's undistortion maps for iw×ih images,
// building them on first use.
func (w *Writer) undistorter(ch string, c *fusion.Camera, iw, ih int) (*undistorter, error) {
	u := w.undistort[ch]
	if u == nil || u.w != iw || u.h != ih {
		K := c.Info.K
		in := camera.Intrinsics{Fx: K[0], Fy: K[4], Cx: K[2], Cy: K[5], Width: iw, Height: ih}
		src, err := camera.New(c.Info.DistortionModel, in, c.Info.D)
		if err != nil {
			return nil, fmt.Errorf("camera model %q: %w", c.Info.DistortionModel, err)
		}
		dst, err := camera.NewPinhole(in, nil)
		if err != nil {
			return nil, fmt.Errorf("pinhole: %w", err)
		}
		mx, my, err := camera.UndistortMap(src, dst, iw, ih)
		if err != nil {
			return nil, fmt.Errorf("undistort map: %w", err)
		}
		u = &undistorter{w: iw, h: ih, mapX: mx, mapY: my}
		w.undistort[ch] = u
	}
	return u, nil
}

// apply remaps img (of the maps' size) through the undistortion maps,
// channel by channel. It only reads u.
func (u *undistorter) apply(img image.Image) (image.Image, error) {
	b := img.Bounds()
	iw, ih := u.w, u.h
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
	if err := remapRGB(out.Pix, src, iw, ih, u.mapX, u.mapY); err != nil {
		return nil, err
	}
	return out, nil
}

// remapRGB is camera.Remap on the R, G and B bytes of 4-byte pixels at
// once (the interpolation weights are computed once per pixel), with the
// same arithmetic, so the same result; alpha is set to 255.
func remapRGB(dst, src []byte, w, h int, mapX, mapY []float32) error {
	if len(src) != 4*w*h || len(dst) != 4*w*h || len(mapX) != len(mapY) || len(mapX) != w*h {
		return fmt.Errorf("remap: sizes: image %d bytes for %dx%d, maps %d/%d", len(src), w, h, len(mapX), len(mapY))
	}
	for i := range mapX {
		dst[4*i+3] = 255
		u, v := float64(mapX[i]), float64(mapY[i])
		if u < 0 || v < 0 || u > float64(w-1) || v > float64(h-1) {
			continue
		}
		x0, y0 := int(u), int(v)
		x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
		fx, fy := u-float64(x0), v-float64(y0)
		w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
		a, b, c, d := src[4*(y0*w+x0):], src[4*(y0*w+x1):], src[4*(y1*w+x0):], src[4*(y1*w+x1):]
		for k := range 3 {
			p := w00*float64(a[k]) + w10*float64(b[k]) + w01*float64(c[k]) + w11*float64(d[k])
			dst[4*i+k] = roundByte(p)
		}
	}
	return nil
}

// roundByte is byte(math.Round(p)) for p in [0, 255.5), without the call.
func roundByte(p float64) byte {
	if p < 0.5 {
		return 0
	}
	return byte(p + 0.5)
}

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

// jpeg returns the camera image as nuScenes stores it: a JPEG, undistorted
// to a pinhole with the calibration's K when the model has distortion. An
// undistorted JPEG is copied as is.
func (w *Writer) jpeg(ch string, c *fusion.Camera) (data []byte, width, height int, err error) {
	distorted := hasDistortion(&c.Info)
	var img image.Image
	switch p := c.Image.(type) {
	case *formats.CompressedImage:
		if !distorted && isJPEG(p) {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Data))
			if err != nil {
				return nil, 0, 0, fmt.Errorf("jpeg header: %w", err)
			}
			return p.Data, cfg.Width, cfg.Height, nil
		}
		img, _, err = image.Decode(bytes.NewReader(p.Data))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("decoding %q image: %w", p.Format, err)
		}
	case *formats.Image:
		img, err = rawImage(p)
		if err != nil {
			return nil, 0, 0, err
		}
	case nil:
		return nil, 0, 0, errors.New("no image")
	default:
		return nil, 0, 0, fmt.Errorf("unsupported image payload %T", c.Image)
	}
	if distorted {
		if img, err = w.undistortImage(ch, c, img); err != nil {
			return nil, 0, 0, err
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: w.opts.JPEGQuality}); err != nil {
		return nil, 0, 0, fmt.Errorf("jpeg encode: %w", err)
	}
	b := img.Bounds()
	return buf.Bytes(), b.Dx(), b.Dy(), nil
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

// undistortImage remaps img through the camera's (cached) undistortion maps,
// channel by channel.
func (w *Writer) undistortImage(ch string, c *fusion.Camera, img image.Image) (image.Image, error) {
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
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
	if g, ok := img.(*image.Gray); ok && g.Stride == iw {
		pix, err := camera.Remap(g.Pix, iw, ih, u.mapX, u.mapY)
		if err != nil {
			return nil, fmt.Errorf("remap: %w", err)
		}
		return &image.Gray{Pix: pix, Stride: iw, Rect: image.Rect(0, 0, iw, ih)}, nil
	}
	planes := [3][]byte{make([]byte, iw*ih), make([]byte, iw*ih), make([]byte, iw*ih)}
	for y := 0; y < ih; y++ {
		for x := 0; x < iw; x++ {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := y*iw + x
			planes[0][i], planes[1][i], planes[2][i] = uint8(r>>8), uint8(g>>8), uint8(bb>>8)
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, iw, ih))
	for c := 0; c < 3; c++ {
		pix, err := camera.Remap(planes[c], iw, ih, u.mapX, u.mapY)
		if err != nil {
			return nil, fmt.Errorf("remap: %w", err)
		}
		for i, v := range pix {
			out.Pix[4*i+c] = v
		}
	}
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 255
	}
	return out, nil
}

package nuscenes

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // PNG camera images are re-encoded as JPEG
	"strings"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/writers/internal/undistort"
)

// jpeg returns the size of the camera image as nuScenes stores it and the
// work of encoding it: a JPEG, undistorted to a pinhole with the
// calibration's K when the model has distortion. An undistorted JPEG is
// copied as is. Only headers are read here (and the camera's undistortion
// maps built on its first image); the decoding and encoding happen in
// encode, which touches nothing the Writer changes.
func (w *Writer) jpeg(ch string, c *fusion.Camera) (width, height int, encode func() ([]byte, error), err error) {
	distorted := undistort.HasDistortion(&c.Info)
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
	var u *undistort.Maps
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
			if img, err = u.Apply(img); err != nil {
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
func (w *Writer) undistorter(ch string, c *fusion.Camera, iw, ih int) (*undistort.Maps, error) {
	u := w.undistort[ch]
	if u == nil || u.W != iw || u.H != ih {
		var err error
		if u, err = undistort.New(&c.Info, iw, ih); err != nil {
			return nil, err
		}
		w.undistort[ch] = u
	}
	return u, nil
}

package nuscenes

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	_ "image/png" // PNG camera images are re-encoded as JPEG
	"strings"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/imagefile"
	"github.com/rigsync/rigsync/fusion/writers/internal/undistort"
)

// jpeg returns the size of the camera image as nuScenes stores it and the
// work of encoding it: a JPEG, undistorted to a pinhole with the
// calibration's K when the model has distortion. An undistorted JPEG is
// copied as is. Only headers are read here (and the camera's undistortion
// maps built on its first image); the decoding and encoding happen in
// encode, which touches nothing the Writer changes.
func (w *Writer) jpeg(ch string, c *fused.Camera) (width, height int, encode func() ([]byte, error), err error) {
	distorted := undistort.HasDistortion(&c.Info)
	quality := w.opts.JPEGQuality
	if p, ok := c.Image.(*formats.CompressedImage); ok && !distorted && isJPEG(p) {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Data))
		if err != nil {
			return 0, 0, nil, fmt.Errorf("jpeg header: %w", err)
		}
		return cfg.Width, cfg.Height, func() ([]byte, error) { return p.Data, nil }, nil
	}
	if p, ok := c.Image.(*formats.Image); ok && !rawEncodings[p.Encoding] {
		return 0, 0, nil, fmt.Errorf("image encoding %q not supported (want mono8, rgb8, bgr8, rgba8 or bgra8)", p.Encoding)
	}
	l, err := imageconv.Open(c.Image)
	if err != nil {
		var he *imageconv.HeaderError
		if errors.As(err, &he) {
			return 0, 0, nil, fmt.Errorf("decoding %q image: %w", he.Format, he.Err)
		}
		return 0, 0, nil, err
	}
	width, height = l.Width, l.Height
	decode := l.Decode
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
		data, err := imagefile.JPEG(img, quality)
		if err != nil {
			return nil, fmt.Errorf("jpeg encode: %w", err)
		}
		return data, nil
	}, nil
}

func isJPEG(p *formats.CompressedImage) bool {
	f := strings.ToLower(p.Format)
	return strings.Contains(f, "jpeg") || strings.Contains(f, "jpg")
}

// rawEncodings are the raw encodings the writer takes (the 8-bit ROS
// ones; imageconv converts more, which this writer has never accepted).
var rawEncodings = map[string]bool{"mono8": true, "8UC1": true, "rgb8": true, "bgr8": true, "rgba8": true, "bgra8": true}

// undistorter returns the camera's undistortion maps for iw×ih images,
// building them on first use.
func (w *Writer) undistorter(ch string, c *fused.Camera, iw, ih int) (*undistort.Maps, error) {
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

// Package imagefile turns a camera image payload into the bytes of an image
// file, as rigsync's writers store them: a compressed image as recorded
// (with the extension its format names), a raw one converted to an
// image.Image and encoded.
package imagefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"strings"

	"github.com/rigsync/rigsync/formats"
)

// maxPixels bounds a raw image (the check before any allocation).
const maxPixels = 1 << 28

// Bytes returns the file content and extension of a camera image: a
// compressed image as is, a raw one encoded to JPEG at quality. An image
// that cannot be written (unknown raw encoding, no image) gives nil bytes
// and a note saying why.
func Bytes(p formats.Payload, quality int) (data []byte, ext, note string, err error) {
	switch im := p.(type) {
	case *formats.CompressedImage:
		return im.Data, Ext(im.Format), "", nil
	case *formats.Image:
		img, err := ToImage(im)
		if err != nil {
			return nil, "", err.Error(), nil
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return nil, "", "", fmt.Errorf("jpeg: %w", err)
		}
		return buf.Bytes(), ".jpg", fmt.Sprintf("raw %s image encoded to JPEG quality %d", im.Encoding, quality), nil
	case nil:
		return nil, "", "no image", nil
	}
	return nil, "", fmt.Sprintf("unsupported image payload %T", p), nil
}

// Ext is the file extension for a compressed image format
// ("jpeg", "png", or a ROS form such as "bgr8; jpeg compressed bgr8").
func Ext(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.Contains(f, "png"):
		return ".png"
	case strings.Contains(f, "webp"):
		return ".webp"
	case strings.Contains(f, "avif"):
		return ".avif"
	}
	return ".jpg"
}

// ToImage converts a raw image (rgb8, bgr8, rgba8, bgra8, mono8, mono16,
// 8UC1, 8UC3, 16UC1) into an image.Image, checking its layout first.
func ToImage(im *formats.Image) (image.Image, error) {
	var bpp int
	switch im.Encoding {
	case "rgb8", "bgr8", "8UC3":
		bpp = 3
	case "rgba8", "bgra8", "8UC4":
		bpp = 4
	case "mono8", "8UC1":
		bpp = 1
	case "mono16", "16UC1":
		bpp = 2
	default:
		return nil, fmt.Errorf("raw image encoding %q not supported", im.Encoding)
	}
	w, h := im.Width, im.Height
	if w <= 0 || h <= 0 || w > maxPixels/h {
		return nil, fmt.Errorf("raw image size %dx%d invalid", w, h)
	}
	if im.Step < w*bpp {
		return nil, fmt.Errorf("raw image step %d shorter than width %d × %d bytes", im.Step, w, bpp)
	}
	if need := im.Step*(h-1) + w*bpp; len(im.Data) < need {
		return nil, fmt.Errorf("raw image has %d bytes, layout needs %d", len(im.Data), need)
	}
	r := image.Rect(0, 0, w, h)
	switch bpp {
	case 1:
		g := image.NewGray(r)
		for y := 0; y < h; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+w], im.Data[y*im.Step:])
		}
		return g, nil
	case 2:
		g := image.NewGray(r)
		var bo binary.ByteOrder = binary.LittleEndian
		if im.BigEndian {
			bo = binary.BigEndian
		}
		for y := 0; y < h; y++ {
			row := im.Data[y*im.Step:]
			for x := 0; x < w; x++ {
				g.Pix[y*g.Stride+x] = uint8(bo.Uint16(row[2*x:]) >> 8)
			}
		}
		return g, nil
	}
	out := image.NewRGBA(r)
	bgr := strings.HasPrefix(im.Encoding, "bgr") || strings.HasPrefix(im.Encoding, "8UC")
	for y := 0; y < h; y++ {
		row := im.Data[y*im.Step:]
		o := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			s := row[x*bpp:]
			cr, cg, cb := s[0], s[1], s[2]
			if bgr {
				cr, cb = cb, cr
			}
			o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = cr, cg, cb, 255
		}
	}
	return out, nil
}

// Package imagefile turns a camera image payload into the bytes of an image
// file, as rigsync's writers store them: a compressed image as recorded
// (with the extension its format names), a raw one converted to an
// image.Image (formats/imageconv) and encoded.
package imagefile

import (
	"fmt"
	"image"
	"strings"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
	"github.com/rigsync/rigsync/internal/jpegcodec"
)

// Bytes returns the file content and extension of a camera image: a
// compressed image as is, a raw one encoded to JPEG at quality. An image
// that cannot be written (unknown raw encoding, no image) gives nil bytes
// and a note saying why.
func Bytes(p formats.Payload, quality int) (data []byte, ext, note string, err error) {
	switch im := p.(type) {
	case *formats.CompressedImage:
		return im.Data, Ext(im.Format), "", nil
	case *formats.Image:
		img, err := imageconv.ToImage(im)
		if err != nil {
			return nil, "", err.Error(), nil
		}
		data, err := JPEG(img, quality)
		if err != nil {
			return nil, "", "", fmt.Errorf("jpeg: %w", err)
		}
		return data, ".jpg", fmt.Sprintf("raw %s image encoded to JPEG quality %d", im.Encoding, quality), nil
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

// JPEG encodes img at quality (1..100) with internal/jpegcodec: the
// bytes image/jpeg would write, made faster. A 4:2:0 *image.YCbCr (a
// decoded camera JPEG, remapped plane by plane) is coded from its planes:
// no RGBA round trip.
func JPEG(img image.Image, quality int) ([]byte, error) {
	var buf []byte
	if b := img.Bounds(); b.Dx() > 0 && b.Dy() > 0 {
		// Camera pictures at quality ~90 take well under half a byte per
		// pixel; a busier one grows the buffer once or twice.
		buf = make([]byte, 0, 4096+b.Dx()*b.Dy()/3)
	}
	return jpegcodec.Append(buf, img, quality)
}

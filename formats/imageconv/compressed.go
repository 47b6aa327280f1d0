package imageconv

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/internal/jpegcodec"
)

// DecodeCompressed decodes a CompressedImage by its Format: a PNG with
// image/png, a JPEG (also an empty Format, the ROS default) with
// jpegcodec (image/jpeg's exact image, faster); another format is an
// error. An image whose header claims more than maxPixels pixels is
// refused before anything is allocated for it (a corrupt header must not
// make a check allocate gigabytes).
func DecodeCompressed(im *formats.CompressedImage, maxPixels int64) (image.Image, error) {
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(im.Data)); err == nil && int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("%d×%d image is larger than %d pixels", cfg.Width, cfg.Height, maxPixels)
	}
	switch f := strings.ToLower(im.Format); {
	case strings.Contains(f, "png"):
		return png.Decode(bytes.NewReader(im.Data))
	case strings.Contains(f, "jpeg"), strings.Contains(f, "jpg"), f == "":
		return jpegcodec.Decode(im.Data)
	}
	return nil, fmt.Errorf("format %q not supported", im.Format)
}

package frames

import (
	"image"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
	"github.com/rigsync/rigsync/fusion/writers/internal/imagefile"
)

// ImageBytes returns the file content and extension of a camera image: a
// compressed image as is, a raw one encoded to JPEG at quality. An image
// that cannot be written (unknown raw encoding, no image) gives nil bytes
// and a note saying why.
func ImageBytes(p formats.Payload, quality int) (data []byte, ext, note string, err error) {
	return imagefile.Bytes(p, quality)
}

// CompressedExt is the file extension for a compressed image format
// ("jpeg", "png", or a ROS form such as "bgr8; jpeg compressed bgr8").
func CompressedExt(format string) string { return imagefile.Ext(format) }

// ToImage converts a raw image (rgb8, bgr8, rgba8, bgra8, mono8, mono16,
// 8UC1, 8UC3, 8UC4, 16UC1) into an image.Image, checking its layout
// first. It is imageconv.ToImage.
func ToImage(im *formats.Image) (image.Image, error) { return imageconv.ToImage(im) }

// Package imageconv owns rigsync's conversions of camera images: the
// table of raw sensor_msgs/Image encodings it understands (bytes per
// pixel, channels, channel order), a raw formats.Image to and from an
// image.Image, the RGB(A)/BGR(A) ↔ RGBA pixel copies, and opening a camera
// payload (compressed or raw) for its size with the pixels decoded on
// demand.
//
// The encoding names are those of ROS REP 118 / sensor_msgs/image_encodings
// ("rgb8", "bgr8", "mono16", ...) and OpenCV's ("8UC3", ...; OpenCV stores
// colour as BGR). Bayer and YUV encodings are not supported.
package imageconv

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/rigsync/rigsync/formats"
)

// MaxPixels bounds a raw image (the check before any allocation).
const MaxPixels = 1 << 28

// Encoding describes the pixel layout of one raw image encoding.
type Encoding struct {
	// Name is the encoding as sensor_msgs/Image spells it ("rgb8").
	Name string
	// Channels is the number of channels per pixel (1, 3 or 4).
	Channels int
	// Depth is the number of bytes per channel (1 or 2). Two-byte
	// channels are little-endian unless the image says BigEndian.
	Depth int
	// BGR reports that colour channels are stored blue first.
	BGR bool
}

// PixelBytes is the number of bytes of one pixel.
func (e Encoding) PixelBytes() int { return e.Channels * e.Depth }

// encodings is the table of supported raw encodings.
var encodings = []Encoding{
	{Name: "rgb8", Channels: 3, Depth: 1},
	{Name: "bgr8", Channels: 3, Depth: 1, BGR: true},
	{Name: "8UC3", Channels: 3, Depth: 1, BGR: true},
	{Name: "rgba8", Channels: 4, Depth: 1},
	{Name: "bgra8", Channels: 4, Depth: 1, BGR: true},
	{Name: "8UC4", Channels: 4, Depth: 1, BGR: true},
	{Name: "mono8", Channels: 1, Depth: 1},
	{Name: "8UC1", Channels: 1, Depth: 1},
	{Name: "mono16", Channels: 1, Depth: 2},
	{Name: "16UC1", Channels: 1, Depth: 2},
}

// Encodings returns every supported raw encoding (a copy of the table).
func Encodings() []Encoding { return append([]Encoding(nil), encodings...) }

// Lookup returns the encoding with exactly this name.
func Lookup(name string) (Encoding, bool) {
	for _, e := range encodings {
		if e.Name == name {
			return e, true
		}
	}
	return Encoding{}, false
}

// LookupFold returns the encoding whose name equals name without regard
// to case ("RGB8", "8uc3").
func LookupFold(name string) (Encoding, bool) {
	for _, e := range encodings {
		if strings.EqualFold(e.Name, name) {
			return e, true
		}
	}
	return Encoding{}, false
}

// Layout returns the encoding of a raw image after checking that its
// size, step and data length describe a valid image of at most MaxPixels.
func Layout(im *formats.Image) (Encoding, error) {
	e, ok := Lookup(im.Encoding)
	if !ok {
		return Encoding{}, fmt.Errorf("raw image encoding %q not supported", im.Encoding)
	}
	bpp := e.PixelBytes()
	w, h := im.Width, im.Height
	if w <= 0 || h <= 0 || w > MaxPixels/h {
		return Encoding{}, fmt.Errorf("raw image size %dx%d invalid", w, h)
	}
	if im.Step < w*bpp {
		return Encoding{}, fmt.Errorf("raw image step %d shorter than width %d × %d bytes", im.Step, w, bpp)
	}
	if need := im.Step*(h-1) + w*bpp; len(im.Data) < need {
		return Encoding{}, fmt.Errorf("raw image has %d bytes, layout needs %d", len(im.Data), need)
	}
	return e, nil
}

// ToImage converts a raw image into an image.Image, checking its layout
// first (Layout): one-channel encodings give an *image.Gray (16-bit ones
// keep their high byte), the others an opaque *image.RGBA.
func ToImage(im *formats.Image) (image.Image, error) {
	e, err := Layout(im)
	if err != nil {
		return nil, err
	}
	w, h := im.Width, im.Height
	r := image.Rect(0, 0, w, h)
	switch {
	case e.Channels == 1 && e.Depth == 1:
		g := image.NewGray(r)
		for y := 0; y < h; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+w], im.Data[y*im.Step:])
		}
		return g, nil
	case e.Channels == 1:
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
	for y := 0; y < h; y++ {
		ToRGBA(out.Pix[y*out.Stride:], im.Data[y*im.Step:], w, e.Channels, e.BGR)
	}
	return out, nil
}

// ToRGBA copies n pixels of ch bytes each (3 or 4; R, G, B first, or B,
// G, R when bgr) from src into dst as opaque RGBA (alpha 255).
func ToRGBA(dst, src []byte, n, ch int, bgr bool) {
	for x := 0; x < n; x++ {
		s, d := src[x*ch:x*ch+3], dst[4*x:4*x+4]
		cr, cg, cb := s[0], s[1], s[2]
		if bgr {
			cr, cb = cb, cr
		}
		d[0], d[1], d[2], d[3] = cr, cg, cb, 255
	}
}

// FromRGBA copies n RGBA pixels from src into dst as pixels of ch bytes
// (3 or 4; R, G, B first, or B, G, R when bgr). Alpha is kept when ch is 4.
func FromRGBA(dst, src []byte, n, ch int, bgr bool) {
	for x := 0; x < n; x++ {
		s, d := src[4*x:4*x+4], dst[x*ch:x*ch+ch]
		if bgr {
			d[0], d[1], d[2] = s[2], s[1], s[0]
		} else {
			d[0], d[1], d[2] = s[0], s[1], s[2]
		}
		if ch == 4 {
			d[3] = s[3]
		}
	}
}

// FromImage converts an image into a raw image of the named encoding with
// a tight step (Width × bytes per pixel). Colour is taken as
// img.At(x, y).RGBA() gives it (premultiplied, 8 bits kept); one-channel
// encodings take the image's gray value (color.GrayModel, or
// color.Gray16Model for 16-bit ones, written little-endian).
func FromImage(img image.Image, encoding string) (*formats.Image, error) {
	e, ok := Lookup(encoding)
	if !ok {
		return nil, fmt.Errorf("raw image encoding %q not supported", encoding)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > MaxPixels/h {
		return nil, fmt.Errorf("raw image size %dx%d invalid", w, h)
	}
	step := w * e.PixelBytes()
	out := &formats.Image{Width: w, Height: h, Encoding: e.Name, Step: step, Data: make([]byte, step*h)}
	var rgba *image.RGBA
	if e.Channels > 1 {
		if m, ok := img.(*image.RGBA); ok {
			rgba = m
		} else {
			rgba = image.NewRGBA(image.Rect(0, 0, w, h))
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					rgba.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
				}
			}
		}
	}
	for y := 0; y < h; y++ {
		row := out.Data[y*step:]
		switch {
		case rgba != nil:
			FromRGBA(row, rgba.Pix[rgba.PixOffset(rgba.Rect.Min.X, rgba.Rect.Min.Y+y):], w, e.Channels, e.BGR)
		case e.Depth == 1:
			for x := 0; x < w; x++ {
				row[x] = grayAt(img, b.Min.X+x, b.Min.Y+y)
			}
		default:
			for x := 0; x < w; x++ {
				binary.LittleEndian.PutUint16(row[2*x:], gray16At(img, b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return out, nil
}

func grayAt(img image.Image, x, y int) uint8 {
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

func gray16At(img image.Image, x, y int) uint16 {
	return color.Gray16Model.Convert(img.At(x, y)).(color.Gray16).Y
}

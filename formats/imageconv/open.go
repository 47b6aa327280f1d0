package imageconv

import (
	"bytes"
	"errors"
	"fmt"
	"image"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/internal/jpegcodec"
)

// ErrNoImage is Open's error for a nil payload.
var ErrNoImage = errors.New("no image")

// HeaderError is Open's error for a compressed image whose header cannot
// be read.
type HeaderError struct {
	// Format is the image's format as recorded ("jpeg").
	Format string
	// Err is the decoder's error.
	Err error
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("decoding %q image header: %v", e.Format, e.Err)
}

// Unwrap returns the decoder's error.
func (e *HeaderError) Unwrap() error { return e.Err }

// Lazy is a camera image whose size is known and whose pixels are decoded
// on demand.
type Lazy struct {
	// Width and Height are the image's size.
	Width, Height int
	// Codec is the image package's name of a compressed image's codec
	// ("jpeg", "png"), "" for a raw image.
	Codec  string
	decode func() (image.Image, error)
}

// Decode returns the image. A compressed one is decoded on each call
// (a JPEG with internal/jpegcodec, which gives image/jpeg's image,
// others with the registered image decoders; the error says
// `decoding "FORMAT" image: ...`); a raw one was converted by Open. Decode
// changes nothing, so it may run on another goroutine.
func (l *Lazy) Decode() (image.Image, error) { return l.decode() }

// Open returns the size of a camera image and the work of decoding it:
// of a *formats.CompressedImage only the header is read (an error is a
// *HeaderError); a *formats.Image is converted now (ToImage, whose error
// is returned). A nil payload gives ErrNoImage, another type an error.
func Open(p formats.Payload) (*Lazy, error) {
	switch im := p.(type) {
	case *formats.CompressedImage:
		cfg, codec, err := image.DecodeConfig(bytes.NewReader(im.Data))
		if err != nil {
			return nil, &HeaderError{Format: im.Format, Err: err}
		}
		return &Lazy{Width: cfg.Width, Height: cfg.Height, Codec: codec, decode: func() (image.Image, error) {
			var img image.Image
			var err error
			if codec == "jpeg" {
				// The same image as image/jpeg's, faster for baseline files.
				img, err = jpegcodec.Decode(im.Data)
			} else {
				img, _, err = image.Decode(bytes.NewReader(im.Data))
			}
			if err != nil {
				return nil, fmt.Errorf("decoding %q image: %w", im.Format, err)
			}
			return img, nil
		}}, nil
	case *formats.Image:
		img, err := ToImage(im)
		if err != nil {
			return nil, err
		}
		b := img.Bounds()
		return &Lazy{Width: b.Dx(), Height: b.Dy(), decode: func() (image.Image, error) { return img, nil }}, nil
	case nil:
		return nil, ErrNoImage
	}
	return nil, fmt.Errorf("unsupported image payload %T", p)
}

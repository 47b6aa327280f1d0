package fusion

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
	"github.com/rigsync/rigsync/fusion/fused"
)

// Image verdicts of CheckImage.
const (
	ImageOK        = ""
	ImageBlack     = "black"
	ImageSaturated = "saturated"
	ImageFlat      = "flat" // one colour: lens cap, frozen or blank frame
)

// ImageCheck is what CheckImage found.
type ImageCheck struct {
	// Verdict is ImageOK, ImageBlack, ImageSaturated or ImageFlat.
	Verdict string
	// Mean and Std of the sampled luminances (0–255); Dark and Bright the
	// fractions of samples at most 16 and at least 240.
	Mean, Std, Dark, Bright float64
	// Samples is the number of pixels sampled.
	Samples int
}

// imageGrid is the side of the sampled pixel grid.
const imageGrid = 48

// Verdict thresholds.
const (
	darkLevel, brightLevel = 16, 240
	badFraction            = 0.98
	flatStd                = 1.5
)

// CheckImage decodes an image (JPEG or PNG CompressedImage, or a raw
// mono8/rgb8/bgr8/rgba8/bgra8 Image) and samples the luminance of a
// 48×48 grid of pixels: black when nearly all are dark, saturated when
// nearly all are bright, flat when they are all the same.
func CheckImage(p formats.Payload) (ImageCheck, error) {
	var lum func(x, y int) float64
	var w, h int
	switch im := p.(type) {
	case *formats.CompressedImage:
		img, err := decodeCompressed(im)
		if err != nil {
			return ImageCheck{}, err
		}
		b := img.Bounds()
		w, h = b.Dx(), b.Dy()
		switch m := img.(type) {
		case *image.YCbCr:
			lum = func(x, y int) float64 { return float64(m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)]) }
		case *image.Gray:
			lum = func(x, y int) float64 { return float64(m.GrayAt(b.Min.X+x, b.Min.Y+y).Y) }
		default:
			lum = func(x, y int) float64 {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			}
		}
	case *formats.Image:
		w, h = im.Width, im.Height
		// Any case, 8-bit channels only.
		enc, ok := imageconv.LookupFold(im.Encoding)
		if !ok || enc.Depth != 1 {
			return ImageCheck{}, fmt.Errorf("fusion: image check: encoding %q not supported", im.Encoding)
		}
		ch := enc.Channels
		step := im.Step
		if step <= 0 {
			step = w * ch
		}
		if w <= 0 || h <= 0 || step < w*ch || len(im.Data) < (h-1)*step+w*ch {
			return ImageCheck{}, fmt.Errorf("fusion: image check: %d×%d %s with step %d needs more than %d bytes", w, h, im.Encoding, step, len(im.Data))
		}
		lum = func(x, y int) float64 {
			o := y*step + x*ch
			if ch == 1 {
				return float64(im.Data[o])
			}
			// The order of R and B barely matters for a luminance check.
			return 0.299*float64(im.Data[o]) + 0.587*float64(im.Data[o+1]) + 0.114*float64(im.Data[o+2])
		}
	default:
		return ImageCheck{}, fmt.Errorf("fusion: image check: payload %T is not an image", p)
	}
	if w <= 0 || h <= 0 {
		return ImageCheck{}, fmt.Errorf("fusion: image check: empty image")
	}
	var c ImageCheck
	var sum, sum2 float64
	nx, ny := min(imageGrid, w), min(imageGrid, h)
	for j := range ny {
		y := (2*j + 1) * h / (2 * ny)
		for i := range nx {
			x := (2*i + 1) * w / (2 * nx)
			v := lum(x, y)
			sum += v
			sum2 += v * v
			if v <= darkLevel {
				c.Dark++
			}
			if v >= brightLevel {
				c.Bright++
			}
			c.Samples++
		}
	}
	n := float64(c.Samples)
	c.Mean = sum / n
	c.Std = math.Sqrt(math.Max(0, sum2/n-c.Mean*c.Mean))
	c.Dark /= n
	c.Bright /= n
	switch {
	case c.Dark >= badFraction:
		c.Verdict = ImageBlack
	case c.Bright >= badFraction:
		c.Verdict = ImageSaturated
	case c.Std < flatStd:
		c.Verdict = ImageFlat
	}
	return c, nil
}

func decodeCompressed(im *formats.CompressedImage) (image.Image, error) {
	img, err := imageconv.DecodeCompressed(im, maxImagePixels)
	if err != nil {
		return nil, fmt.Errorf("fusion: image check: %w", err)
	}
	return img, nil
}

// maxImagePixels bounds the images CheckImage decodes (a corrupt header
// must not make it allocate gigabytes).
const maxImagePixels = 32 << 20

// suspectBytesPerPixel: a JPEG or PNG smaller than this per pixel is
// checked whatever the period (dark, bright and flat images compress to
// almost nothing, a textured scene to several times more).
const suspectBytesPerPixel = 0.05

// DefaultImageCheckEvery is how often a camera's image is decoded and
// checked when it does not look suspicious.
const DefaultImageCheckEvery = 10

// imageCheck is a camera image due for CheckImage: Sensors[sensor] of its
// frame gets the verdict.
type imageCheck struct {
	sensor int
	p      formats.Payload
}

// runImageChecks decodes a frame's due images and flags the degraded
// ones in its Sensors (part of the frame's parallel work).
func runImageChecks(f *fused.Frame, checks []imageCheck) {
	for _, c := range checks {
		if note := imageNote(c.p); note != "" {
			st := &f.Sensors[c.sensor]
			st.Degraded = st.Degraded || !strings.HasPrefix(note, "image not checked")
			st.AddNote(note)
		}
	}
}

// imageDue tells, in frame order, whether a camera's image is to be
// checked: every ImageCheckEvery-th image of the camera, a suspiciously
// small compressed image, or any raw image (sampling raw pixels is cheap).
func (e *Engine) imageDue(name string, p formats.Payload) bool {
	every := e.cfg.ImageCheckEvery
	if every == 0 {
		every = DefaultImageCheckEvery
	}
	if every < 0 {
		return false
	}
	k := e.imageSeen[name]
	e.imageSeen[name] = k + 1
	due := k%every == 0
	switch im := p.(type) {
	case *formats.Image:
		due = true
	case *formats.CompressedImage:
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(im.Data)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			due = due || float64(len(im.Data)) < suspectBytesPerPixel*float64(cfg.Width)*float64(cfg.Height)
		} else {
			due = true // undecodable header: say so
		}
	}
	return due
}

// imageNote decodes and checks an image and returns a note for a degraded
// one ("" when fine).
func imageNote(p formats.Payload) string {
	c, err := CheckImage(p)
	if err != nil {
		return "image not checked: " + err.Error()
	}
	if c.Verdict == ImageOK {
		return ""
	}
	return fmt.Sprintf("%s image (mean luminance %.0f, %.0f%% dark, %.0f%% bright)", c.Verdict, c.Mean, 100*c.Dark, 100*c.Bright)
}

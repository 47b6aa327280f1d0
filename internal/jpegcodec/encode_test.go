package jpegcodec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/ros"
	"github.com/rigsync/rigsync/internal/jpegcodec"
)

// stdlib is the reference: image/jpeg's bytes.
func stdlib(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// same fails the test when Append's bytes differ from image/jpeg's,
// naming the first differing offset.
func same(tb testing.TB, name string, img image.Image, q int) {
	tb.Helper()
	want := stdlib(tb, img, q)
	got, err := jpegcodec.Append(nil, img, q)
	if err != nil {
		tb.Fatalf("%s q%d: %v", name, q, err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		tb.Fatalf("%s q%d: %d bytes, image/jpeg %d; first difference at offset %d", name, q, len(got), len(want), i)
	}
}

// fill paints the samples of an image: noise (worst case for the entropy
// coder, full of 0xFF bytes), a smooth gradient, or flat extremes.
func fill(p []byte, stride, w, h int, kind string, rng *rand.Rand) {
	for y := range h {
		for x := range w {
			var v byte
			switch kind {
			case "noise":
				v = byte(rng.Uint32())
			case "gradient":
				v = byte((x*7 + y*3) % 256)
			case "black":
				v = 0
			case "white":
				v = 255
			}
			p[y*stride+x] = v
		}
	}
}

// images makes one image of each kind the encoder handles itself or
// passes on, at w×h, with content kind.
func images(w, h int, kind string, rng *rand.Rand) map[string]image.Image {
	r := image.Rect(0, 0, w, h)
	out := map[string]image.Image{}
	g := image.NewGray(r)
	fill(g.Pix, g.Stride, w, h, kind, rng)
	out["gray"] = g
	for _, s := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422} {
		m := image.NewYCbCr(r, s)
		cw, ch := m.CStride, len(m.Cb)/max(m.CStride, 1)
		fill(m.Y, m.YStride, w, h, kind, rng)
		fill(m.Cb, m.CStride, cw, ch, kind, rng)
		fill(m.Cr, m.CStride, cw, ch, kind, rng)
		out["ycbcr"+s.String()] = m
	}
	rgba := image.NewRGBA(r)
	fill(rgba.Pix, rgba.Stride, 4*w, h, kind, rng)
	out["rgba"] = rgba
	nrgba := image.NewNRGBA(r)
	fill(nrgba.Pix, nrgba.Stride, 4*w, h, kind, rng)
	out["nrgba (image/jpeg)"] = nrgba
	return out
}

func TestSameBytesAsStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 16))
	sizes := []image.Point{{1, 1}, {7, 5}, {8, 8}, {9, 16}, {16, 16}, {17, 15}, {33, 47}, {64, 31}, {100, 75}}
	for _, kind := range []string{"noise", "gradient", "black", "white"} {
		for _, sz := range sizes {
			for name, img := range images(sz.X, sz.Y, kind, rng) {
				t.Run(fmt.Sprintf("%s/%dx%d/%s", kind, sz.X, sz.Y, name), func(t *testing.T) {
					for q := 1; q <= 100; q++ {
						// Every quality on noise; a spread on the rest.
						if kind == "noise" || q%7 == 1 || q >= 90 {
							same(t, name, img, q)
						}
					}
				})
			}
		}
	}
}

// TestSubImages covers images whose origin is not (0, 0): odd origins
// make the 4:2:0 chroma groups straddle samples, which takes the general
// path.
func TestSubImages(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 16))
	for name, img := range images(61, 45, "noise", rng) {
		si := img.(interface {
			SubImage(image.Rectangle) image.Image
		})
		for _, r := range []image.Rectangle{image.Rect(2, 4, 60, 41), image.Rect(1, 3, 50, 44), image.Rect(3, 0, 4, 1)} {
			for _, q := range []int{1, 50, 75, 92, 100} {
				same(t, fmt.Sprintf("%s%v", name, r), si.SubImage(r), q)
			}
		}
	}
}

func TestQualityClampedAndErrors(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 20, 10))
	for q, ref := range map[int]int{-5: 1, 0: 1, 101: 100, 1000: 100} {
		got, err := jpegcodec.Append(nil, img, q)
		if err != nil || !bytes.Equal(got, stdlib(t, img, ref)) {
			t.Errorf("quality %d: not image/jpeg's bytes at quality %d (err %v)", q, ref, err)
		}
	}
	prefix := []byte("keep")
	got, err := jpegcodec.Append(prefix, img, 90)
	if err != nil || !bytes.Equal(got[:4], prefix) || !bytes.Equal(got[4:], stdlib(t, img, 90)) {
		t.Errorf("Append does not append to dst (err %v)", err)
	}
	big := image.NewGray(image.Rect(0, 0, 1<<16, 1))
	if _, err := jpegcodec.Append(nil, big, 90); !errors.Is(err, jpegcodec.ErrTooLarge) {
		t.Errorf("65536 wide: err %v, want ErrTooLarge", err)
	}
	var buf bytes.Buffer
	if err := jpegcodec.Encode(&buf, img, 75); err != nil || !bytes.Equal(buf.Bytes(), stdlib(t, img, 75)) {
		t.Errorf("Encode: not image/jpeg's bytes (err %v)", err)
	}
}

var (
	cameraOnce sync.Once
	cameraImgs []image.Image
	cameraErr  error
)

// cameraImages are real camera pictures: the urban fixture rig's six
// cameras (640×400 renderings of the synthetic street, JPEG quality 85 as
// recorded), decoded to 4:2:0 YCbCr as the KITTI and nuScenes writers see
// them, plus their RGBA and gray versions.
func cameraImages(tb testing.TB) []image.Image {
	tb.Helper()
	cameraOnce.Do(func() { cameraImgs, cameraErr = loadCameraImages() })
	if cameraErr != nil {
		tb.Fatal(cameraErr)
	}
	return cameraImgs
}

func loadCameraImages() ([]image.Image, error) {
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		return nil, err
	}
	cfg.Duration = 150 * time.Millisecond
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, io.Discard, nil); err != nil {
		return nil, err
	}
	r, err := mcap.NewReader(bytes.NewReader(log.Bytes()))
	if err != nil {
		return nil, err
	}
	it, err := r.Messages(mcap.UsingIndex(false))
	if err != nil {
		return nil, err
	}
	decs := map[uint16]formats.MessageDecoder{}
	var out []image.Image
	for {
		sc, ch, m, err := it.NextInto(nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if sc == nil || sc.Name != "sensor_msgs/msg/CompressedImage" {
			continue
		}
		d, ok := decs[ch.ID]
		if !ok {
			if d, err = ros.NewDecoder(sc.Name, sc.Encoding, sc.Data, ch.MessageEncoding); err != nil {
				return nil, err
			}
			decs[ch.ID] = d
		}
		dm, err := d.Decode(append([]byte(nil), m.Data...))
		if err != nil {
			return nil, err
		}
		ci, ok := dm.Payload.(*formats.CompressedImage)
		if !ok {
			return nil, fmt.Errorf("%s: payload %T", ch.Topic, dm.Payload)
		}
		img, err := jpeg.Decode(bytes.NewReader(ci.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ch.Topic, err)
		}
		out = append(out, img)
	}
	if len(out) < 6 {
		return nil, fmt.Errorf("%d camera images in the fixture log, want 6 or more", len(out))
	}
	// An RGBA and a gray version of the first.
	b := out[0].Bounds()
	rgba, gray := image.NewRGBA(b), image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := out[0].At(x, y)
			rgba.Set(x, y, c)
			gray.Set(x, y, color.GrayModel.Convert(c))
		}
	}
	return append(out, rgba, gray), nil
}

// TestCameraImages compares the encoders on real camera pictures at
// every quality; a crop of odd size checks the edges of real content.
func TestCameraImages(t *testing.T) {
	imgs := cameraImages(t)
	for i, img := range imgs {
		if m, ok := img.(*image.YCbCr); ok && m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("camera image %d is %v, want 4:2:0 (what the writers get)", i, m.SubsampleRatio)
		}
		step := 1
		if testing.Short() || i > 0 {
			step = 9
		}
		for q := 1; q <= 100; q += step {
			same(t, fmt.Sprintf("camera %d %T", i, img), img, q)
		}
		crop := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(10, 20, 10+333, 20+123))
		same(t, fmt.Sprintf("camera %d crop", i), crop, 92)
	}
}

func FuzzEncode(f *testing.F) {
	f.Add(uint16(17), uint16(9), uint8(92), uint8(0), []byte{0, 255, 128, 7})
	f.Add(uint16(1), uint16(1), uint8(1), uint8(1), []byte{255})
	f.Add(uint16(40), uint16(33), uint8(100), uint8(2), []byte("camera"))
	f.Fuzz(func(t *testing.T, w, h uint16, q, kind uint8, seed []byte) {
		w, h = w%70, h%70
		if len(seed) == 0 {
			seed = []byte{0}
		}
		r := image.Rect(0, 0, int(w), int(h))
		paint := func(pix []byte) {
			for i := range pix {
				pix[i] = seed[i%len(seed)] + byte(i*int(seed[0]|1))
			}
		}
		var img image.Image
		switch kind % 3 {
		case 0:
			m := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
			paint(m.Y)
			paint(m.Cb)
			paint(m.Cr)
			img = m
		case 1:
			m := image.NewGray(r)
			paint(m.Pix)
			img = m
		default:
			m := image.NewRGBA(r)
			paint(m.Pix)
			img = m
		}
		same(t, "fuzz", img, int(q)%102)
	})
}

// BenchmarkEncode encodes the urban rig's camera pictures (640×400 4:2:0
// YCbCr, as the KITTI and nuScenes writers give them) at quality 92 with
// this package and with image/jpeg, in one run: the ns/op ratio of the
// two sub-benchmarks is the speed-up.
func BenchmarkEncode(b *testing.B) {
	imgs := cameraImages(b)[:6]
	b.Run("codec=jpegcodec", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1<<20)
		for i := 0; b.Loop(); i++ {
			var err error
			if buf, err = jpegcodec.Append(buf[:0], imgs[i%len(imgs)], 92); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("codec=image-jpeg", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for i := 0; b.Loop(); i++ {
			buf.Reset()
			if err := jpeg.Encode(&buf, imgs[i%len(imgs)], &jpeg.Options{Quality: 92}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

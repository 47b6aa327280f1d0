package imageconv_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/imageconv"
)

// Every encoding of the table: its layout, and the round trip
// Image → image.Image → Image gives the same bytes (2-byte channels are
// written with the low byte equal to the high one, which ToImage drops).
func TestEncodings(t *testing.T) {
	want := map[string]imageconv.Encoding{
		"rgb8":   {Name: "rgb8", Channels: 3, Depth: 1},
		"bgr8":   {Name: "bgr8", Channels: 3, Depth: 1, BGR: true},
		"8UC3":   {Name: "8UC3", Channels: 3, Depth: 1, BGR: true},
		"rgba8":  {Name: "rgba8", Channels: 4, Depth: 1},
		"bgra8":  {Name: "bgra8", Channels: 4, Depth: 1, BGR: true},
		"8UC4":   {Name: "8UC4", Channels: 4, Depth: 1, BGR: true},
		"mono8":  {Name: "mono8", Channels: 1, Depth: 1},
		"8UC1":   {Name: "8UC1", Channels: 1, Depth: 1},
		"mono16": {Name: "mono16", Channels: 1, Depth: 2},
		"16UC1":  {Name: "16UC1", Channels: 1, Depth: 2},
	}
	encs := imageconv.Encodings()
	if len(encs) != len(want) {
		t.Errorf("%d encodings, want %d", len(encs), len(want))
	}
	for _, e := range encs {
		t.Run(e.Name, func(t *testing.T) {
			if e != want[e.Name] {
				t.Fatalf("table has %+v, want %+v", e, want[e.Name])
			}
			if got, ok := imageconv.Lookup(e.Name); !ok || got != e {
				t.Errorf("Lookup(%q) = %+v, %v", e.Name, got, ok)
			}
			if got, ok := imageconv.LookupFold(strings.ToUpper(e.Name)); !ok || got != e {
				t.Errorf("LookupFold(%q) = %+v, %v", strings.ToUpper(e.Name), got, ok)
			}
			const w, h = 5, 3
			bpp := e.PixelBytes()
			step := w*bpp + 3 // padding at the end of each row
			in := &formats.Image{Width: w, Height: h, Encoding: e.Name, Step: step, Data: make([]byte, step*h)}
			for y := range h {
				for x := range w * bpp {
					v := byte(17*y + 31*x + 5)
					if e.Depth == 2 {
						v = byte(17*y + 31*(x/2) + 5)
					}
					if e.Channels == 4 && x%4 == 3 {
						v = 255 // ToImage makes pixels opaque
					}
					in.Data[y*step+x] = v
				}
			}
			img, err := imageconv.ToImage(in)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Fatalf("image bounds %v", b)
			}
			_, gray := img.(*image.Gray)
			if gray != (e.Channels == 1) {
				t.Errorf("image is %T", img)
			}
			// The first pixel's red (or gray) value is the first byte,
			// or the third for BGR.
			r, _, bl, _ := img.At(0, 0).RGBA()
			first, third := in.Data[0], in.Data[min(2, len(in.Data)-1)]
			if e.Depth == 2 {
				first = in.Data[1] // little-endian: the high byte
			}
			switch {
			case e.Channels == 1 && r>>8 != uint32(first):
				t.Errorf("gray %d, want %d", r>>8, first)
			case e.Channels > 1 && !e.BGR && (r>>8 != uint32(first) || bl>>8 != uint32(third)):
				t.Errorf("RGB first pixel r %d b %d, want %d %d", r>>8, bl>>8, first, third)
			case e.Channels > 1 && e.BGR && (r>>8 != uint32(third) || bl>>8 != uint32(first)):
				t.Errorf("BGR first pixel r %d b %d, want %d %d", r>>8, bl>>8, third, first)
			}
			out, err := imageconv.FromImage(img, e.Name)
			if err != nil {
				t.Fatal(err)
			}
			if out.Width != w || out.Height != h || out.Step != w*bpp || out.Encoding != e.Name {
				t.Fatalf("FromImage: %dx%d step %d %q", out.Width, out.Height, out.Step, out.Encoding)
			}
			for y := range h {
				if got, want := out.Data[y*out.Step:(y+1)*out.Step], in.Data[y*step:y*step+w*bpp]; !bytes.Equal(got, want) {
					t.Errorf("row %d: %v, want %v", y, got, want)
				}
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, name := range []string{"", "bayer_rggb8", "yuv422", "RGB8", "32FC1"} {
		if _, ok := imageconv.Lookup(name); ok {
			t.Errorf("Lookup(%q) found an encoding", name)
		}
	}
	if _, ok := imageconv.LookupFold("Bayer_RGGB8"); ok {
		t.Error("LookupFold found bayer")
	}
}

func TestLayoutErrors(t *testing.T) {
	cases := []struct {
		im   *formats.Image
		want string
	}{
		{&formats.Image{Width: 2, Height: 2, Encoding: "bayer_rggb8", Step: 2, Data: make([]byte, 4)}, `raw image encoding "bayer_rggb8" not supported`},
		{&formats.Image{Width: 2, Height: 2, Encoding: "rgb8", Step: 6, Data: make([]byte, 11)}, "raw image has 11 bytes, layout needs 12"},
		{&formats.Image{Width: 2, Height: 2, Encoding: "mono8", Step: 1, Data: make([]byte, 4)}, "raw image step 1 shorter than width 2 × 1 bytes"},
		{&formats.Image{Width: 2, Height: 1, Encoding: "mono16", Step: 3, Data: make([]byte, 4)}, "raw image step 3 shorter than width 2 × 2 bytes"},
		{&formats.Image{Width: 1 << 20, Height: 1 << 20, Encoding: "mono8", Step: 1 << 20}, "raw image size 1048576x1048576 invalid"},
		{&formats.Image{Width: 0, Height: 2, Encoding: "mono8"}, "raw image size 0x2 invalid"},
		{&formats.Image{Width: 2, Height: -1, Encoding: "mono8"}, "raw image size 2x-1 invalid"},
	}
	for _, c := range cases {
		if _, err := imageconv.ToImage(c.im); err == nil || err.Error() != c.want {
			t.Errorf("%s %dx%d: %v, want %s", c.im.Encoding, c.im.Width, c.im.Height, err, c.want)
		}
	}
	// The last row needs no padding.
	if _, err := imageconv.Layout(&formats.Image{Width: 2, Height: 2, Encoding: "rgb8", Step: 8, Data: make([]byte, 14)}); err != nil {
		t.Error(err)
	}
}

func TestMono16BigEndian(t *testing.T) {
	img, err := imageconv.ToImage(&formats.Image{Width: 2, Height: 1, Encoding: "mono16", BigEndian: true, Step: 4, Data: []byte{0x12, 0x34, 0xab, 0xcd}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := img.At(1, 0).RGBA(); r>>8 != 0xab {
		t.Errorf("mono16 pixel 1 = %#x, want 0xab", r>>8)
	}
}

func TestFromImageConverts(t *testing.T) {
	g := image.NewGray(image.Rect(3, 4, 5, 5)) // not at the origin
	g.SetGray(3, 4, color.Gray{Y: 10})
	g.SetGray(4, 4, color.Gray{Y: 200})
	out, err := imageconv.FromImage(g, "bgr8")
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{10, 10, 10, 200, 200, 200}; !bytes.Equal(out.Data, want) {
		t.Errorf("gray → bgr8 %v, want %v", out.Data, want)
	}
	c := image.NewRGBA(image.Rect(0, 0, 1, 1))
	c.SetRGBA(0, 0, color.RGBA{R: 255, G: 128, B: 0, A: 255})
	out, err = imageconv.FromImage(c, "mono8")
	if err != nil {
		t.Fatal(err)
	}
	if want := color.GrayModel.Convert(c.At(0, 0)).(color.Gray).Y; out.Data[0] != want {
		t.Errorf("rgba → mono8 %d, want %d", out.Data[0], want)
	}
	if _, err := imageconv.FromImage(c, "yuv422"); err == nil {
		t.Error("FromImage accepted yuv422")
	}
	if _, err := imageconv.FromImage(image.NewGray(image.Rectangle{}), "mono8"); err == nil {
		t.Error("FromImage accepted an empty image")
	}
}

func TestOpen(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 6, 4))
	for i := range src.Pix {
		src.Pix[i] = byte(i * 7)
	}
	var jb, pb bytes.Buffer
	if err := jpeg.Encode(&jb, src, nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pb, src); err != nil {
		t.Fatal(err)
	}
	raw, err := imageconv.FromImage(src, "rgb8")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		p     formats.Payload
		codec string
	}{
		{"jpeg", &formats.CompressedImage{Format: "jpeg", Data: jb.Bytes()}, "jpeg"},
		{"png", &formats.CompressedImage{Format: "png", Data: pb.Bytes()}, "png"},
		{"raw", raw, ""},
	}
	for _, c := range cases {
		l, err := imageconv.Open(c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if l.Width != 6 || l.Height != 4 || l.Codec != c.codec {
			t.Errorf("%s: %dx%d codec %q", c.name, l.Width, l.Height, l.Codec)
		}
		img, err := l.Decode()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if b := img.Bounds(); b.Dx() != 6 || b.Dy() != 4 {
			t.Errorf("%s: decoded %v", c.name, b)
		}
	}

	bad := &formats.CompressedImage{Format: "jpeg", Data: []byte("not a jpeg")}
	_, err = imageconv.Open(bad)
	var he *imageconv.HeaderError
	if !errors.As(err, &he) || he.Format != "jpeg" || !strings.HasPrefix(err.Error(), `decoding "jpeg" image header: `) {
		t.Errorf("corrupt header: %v", err)
	}
	// A good header and a broken body fail in Decode.
	trunc := &formats.CompressedImage{Format: "jpeg", Data: jb.Bytes()[:jb.Len()-8]}
	if l, err := imageconv.Open(trunc); err != nil {
		t.Errorf("truncated jpeg header: %v", err)
	} else if _, err := l.Decode(); err == nil || !strings.HasPrefix(err.Error(), `decoding "jpeg" image: `) {
		t.Errorf("truncated jpeg decode: %v", err)
	}
	if _, err := imageconv.Open(nil); !errors.Is(err, imageconv.ErrNoImage) {
		t.Errorf("nil payload: %v", err)
	}
	if _, err := imageconv.Open(&formats.IMU{}); err == nil || !strings.Contains(err.Error(), "unsupported image payload") {
		t.Errorf("IMU payload: %v", err)
	}
	if _, err := imageconv.Open(&formats.Image{Encoding: "bayer_rggb8", Width: 1, Height: 1, Step: 1, Data: []byte{0}}); err == nil {
		t.Error("bayer accepted")
	}
}

// FuzzToImage feeds arbitrary raw image layouts (size, step, encoding,
// bytes) to ToImage: it must return an error or an image of the declared
// size, never panic or read past the data; it fails exactly when Layout
// does, and an 8-bit image converts back to its own pixel bytes.
func FuzzToImage(f *testing.F) {
	f.Add(uint16(2), uint16(2), uint16(6), uint8(1), []byte("abcdefghijkl"))
	f.Add(uint16(3), uint16(1), uint16(3), uint8(0), []byte("abc"))
	f.Add(uint16(1), uint16(3), uint16(4), uint8(3), []byte("abcdefghijkl"))
	f.Add(uint16(0xffff), uint16(0xffff), uint16(0), uint8(2), []byte{})
	encs := imageconv.Encodings()
	f.Fuzz(func(t *testing.T, w, h, step uint16, enc uint8, data []byte) {
		e := encs[int(enc)%len(encs)]
		p := &formats.Image{Width: int(w), Height: int(h), Step: int(step), Encoding: e.Name, Data: data}
		img, err := imageconv.ToImage(p)
		if _, lerr := imageconv.Layout(p); (err == nil) != (lerr == nil) {
			t.Fatalf("ToImage error %v, Layout error %v", err, lerr)
		}
		if err != nil {
			return
		}
		if b := img.Bounds(); b.Dx() != int(w) || b.Dy() != int(h) {
			t.Fatalf("image %v for %dx%d", b, w, h)
		}
		if e.Depth != 1 || e.Channels == 4 {
			return // 16-bit loses its low byte, 4-channel its alpha
		}
		back, err := imageconv.FromImage(img, e.Name)
		if err != nil {
			t.Fatal(err)
		}
		n := int(w) * e.PixelBytes()
		for y := range int(h) {
			if !bytes.Equal(back.Data[y*n:(y+1)*n], data[y*int(step):y*int(step)+n]) {
				t.Fatalf("row %d differs after the round trip", y)
			}
		}
	})
}

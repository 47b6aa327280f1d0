package videodec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"math"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/annexb"
	"github.com/rigsync/rigsync/formats/videodec/videotest"
)

// meanAbsDiff is the mean absolute RGB difference between a picture and a
// packed RGB reference (math.Inf when the sizes differ).
func meanAbsDiff(img *image.RGBA, ref []byte) float64 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if 3*w*h != len(ref) {
		return math.Inf(1)
	}
	var sum int
	for y := range h {
		for x := range w {
			p := img.Pix[y*img.Stride+4*x:]
			r := ref[3*(y*w+x):]
			for c := range 3 {
				d := int(p[c]) - int(r[c])
				sum += max(d, -d)
			}
		}
	}
	return float64(sum) / float64(3*w*h)
}

// bestMatch is the index of the reference picture closest to img.
func bestMatch(img *image.RGBA, refs [][]byte) (int, float64) {
	best, bestD := -1, math.Inf(1)
	for i, r := range refs {
		if d := meanAbsDiff(img, r); d < bestD {
			best, bestD = i, d
		}
	}
	return best, bestD
}

func TestDecodeAll(t *testing.T) {
	for _, codec := range []string{annexb.H264, annexb.H265} {
		t.Run(codec, func(t *testing.T) {
			if testing.Short() && codec == annexb.H265 {
				t.Skip("libx265 encoding is slow; H.264 covers the path in -short")
			}
			s := videotest.Stream{Codec: codec, Width: 176, Height: 144, Frames: 15, GOP: 5}
			aus := videotest.Encode(t, s)
			refs := videotest.Reference(t, s)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			pics, err := DecodeAll(ctx, codec, aus)
			if err != nil {
				t.Fatal(err)
			}
			if len(pics) != s.Frames {
				t.Fatalf("%d pictures, want %d", len(pics), s.Frames)
			}
			for i, p := range pics {
				if p.Rect.Dx() != s.Width || p.Rect.Dy() != s.Height {
					t.Fatalf("picture %d is %v, want %dx%d", i, p.Rect, s.Width, s.Height)
				}
				// Each picture is closest to its own source picture (the
				// test source moves every frame), and close in value.
				j, d := bestMatch(p, refs)
				if j != i || d > 8 {
					t.Errorf("picture %d best matches source %d (mean abs diff %.2f)", i, j, d)
				}
			}
		})
	}
}

// TestStartMidStream starts at the second keyframe, which the encoder
// wrote without parameter sets: with them put in front (what the recorder
// does) decoding starts there.
func TestStartMidStream(t *testing.T) {
	s := videotest.Stream{Codec: annexb.H264, Width: 160, Height: 120, Frames: 10, GOP: 5}
	aus := videotest.Encode(t, s)
	refs := videotest.Reference(t, s)
	pc, _ := annexb.NewParamCache(annexb.H264)
	pc.Fix(nil, aus[0]) // learn the parameter sets
	fixed, info, ok := pc.Fix(nil, aus[5])
	if !ok || !info.Keyframe || !info.HasParams {
		t.Fatalf("AU 5: %+v ok %v", info, ok)
	}
	in := append([][]byte{fixed}, aus[6:]...)
	pics, err := DecodeAll(context.Background(), annexb.H264, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(pics) != 5 {
		t.Fatalf("%d pictures, want 5", len(pics))
	}
	for i, p := range pics {
		if j, d := bestMatch(p, refs); j != 5+i {
			t.Errorf("picture %d matches source %d (%.2f), want %d", i, j, d, 5+i)
		}
	}
}

func TestStreaming(t *testing.T) {
	s := videotest.Stream{Codec: annexb.H264, Width: 160, Height: 120, Frames: 8, GOP: 4}
	aus := videotest.Encode(t, s)
	d, err := New(context.Background(), annexb.H264, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := make(chan int)
	go func() {
		n := 0
		for {
			if _, err := d.Next(); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	for _, au := range aus {
		if err := d.Send(au); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(aus[0]); err == nil {
		t.Error("send after CloseSend accepted")
	}
	if n := <-got; n != s.Frames {
		t.Fatalf("%d pictures, want %d", n, s.Frames)
	}
}

func TestGarbageInput(t *testing.T) {
	if Available() != nil {
		t.Skip("ffmpeg not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pics, err := DecodeAll(ctx, annexb.H264, [][]byte{bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1000)})
	if len(pics) != 0 {
		t.Fatalf("garbage gave %d pictures", len(pics))
	}
	if ctx.Err() != nil {
		t.Fatal("decoder hung on garbage")
	}
	_ = err // ffmpeg may exit with an error or with no output; either is fine
}

func TestNoFFmpeg(t *testing.T) {
	old := binary
	binary = "ffmpeg-not-installed-here"
	defer func() { binary = old }()
	if err := Available(); !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("Available = %v", err)
	}
	_, err := New(context.Background(), annexb.H264, Options{})
	if !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("New = %v", err)
	}
	if want := "apt-get install ffmpeg"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error %q does not say %q", err, want)
	}
}

func TestUnknownCodec(t *testing.T) {
	if _, err := New(context.Background(), "vp9", Options{}); err == nil {
		t.Fatal("vp9 accepted")
	}
}

func TestReadPPM(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"good", "P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06", true},
		{"comment", "P6 # c\n2 1 255\n\x01\x02\x03\x04\x05\x06", true},
		{"short pixels", "P6\n2 1\n255\n\x01\x02", false},
		{"bad magic", "P5\n2 1\n255\n\x01\x02", false},
		{"16 bit", "P6\n1 1\n65535\n\x01\x02\x03\x04\x05\x06", false},
		{"huge", "P6\n100000 100000\n255\n", false},
		{"zero", "P6\n0 1\n255\n", false},
		{"no number", "P6\nx 1\n255\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := readPPM(bufio.NewReader(bytes.NewReader([]byte(tc.in))))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if tc.ok && (img.Rect.Dx() != 2 || img.Pix[4] != 4 || img.Pix[7] != 0xff) {
				t.Fatalf("picture %v %v", img.Rect, img.Pix)
			}
		})
	}
	if _, err := readPPM(bufio.NewReader(bytes.NewReader(nil))); err != io.EOF {
		t.Fatalf("empty input: %v, want io.EOF", err)
	}
}

func FuzzReadPPM(f *testing.F) {
	f.Add([]byte("P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06P6\n1 1\n255\n\x01\x02\x03"))
	f.Add([]byte("P6 #x\n1 1 255\n\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for range 4 {
			img, err := readPPM(r)
			if err != nil {
				return
			}
			if img.Rect.Dx()*img.Rect.Dy() > MaxPixels || len(img.Pix) != 4*img.Rect.Dx()*img.Rect.Dy() {
				t.Fatalf("picture %v with %d bytes", img.Rect, len(img.Pix))
			}
		}
	})
}

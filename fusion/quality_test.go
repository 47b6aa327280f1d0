package fusion

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// jpegOf encodes a w×h image whose pixel (x, y) has grey level f(x, y).
func jpegOf(tb testing.TB, w, h int, f func(x, y int) uint8) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := f(x, y)
			img.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// firstImage is the first cam_front image of the base fixture.
func firstImage(tb testing.TB, lf *logFixture) *formats.CompressedImage {
	tb.Helper()
	var out *formats.CompressedImage
	rewriteLog(tb, lf.log, func(topic string, k int, m *formats.Message) formats.Payload {
		if c, ok := m.Payload.(*formats.CompressedImage); ok && out == nil {
			out = &formats.CompressedImage{Format: c.Format, Data: append([]byte(nil), c.Data...)}
		}
		return nil
	})
	if out == nil {
		tb.Fatal("no image in the fixture")
	}
	return out
}

func TestCheckImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(lo, hi int) func(x, y int) uint8 {
		return func(x, y int) uint8 { return uint8(lo + rng.IntN(hi-lo)) }
	}
	gray := make([]byte, 64*48)
	for i := range gray {
		gray[i] = uint8(rng.IntN(256))
	}
	for _, tc := range []struct {
		name string
		p    formats.Payload
		want string
		err  string
	}{
		{"fixture scene", firstImage(t, base1s(t)), ImageOK, ""},
		{"black", &formats.CompressedImage{Format: "jpeg", Data: jpegOf(t, 320, 200, func(x, y int) uint8 { return 0 })}, ImageBlack, ""},
		{"black with sensor noise", &formats.CompressedImage{Format: "jpeg", Data: jpegOf(t, 320, 200, noise(0, 10))}, ImageBlack, ""},
		{"saturated", &formats.CompressedImage{Format: "rgb8; jpeg compressed bgr8", Data: jpegOf(t, 320, 200, func(x, y int) uint8 { return 255 })}, ImageSaturated, ""},
		{"flat grey", &formats.CompressedImage{Format: "jpeg", Data: jpegOf(t, 320, 200, func(x, y int) uint8 { return 128 })}, ImageFlat, ""},
		{"dark but textured", &formats.CompressedImage{Format: "jpeg", Data: jpegOf(t, 320, 200, func(x, y int) uint8 { return uint8(10 + (x/8+y/8)%2*40) })}, ImageOK, ""},
		{"raw mono8 noise", &formats.Image{Width: 64, Height: 48, Encoding: "mono8", Step: 64, Data: gray}, ImageOK, ""},
		{"raw rgb8 black", &formats.Image{Width: 64, Height: 48, Encoding: "rgb8", Step: 192, Data: make([]byte, 192*48)}, ImageBlack, ""},
		{"raw too short", &formats.Image{Width: 64, Height: 48, Encoding: "rgb8", Step: 192, Data: make([]byte, 100)}, "", "fusion: image check: 64×48 rgb8 with step 192 needs more than 100 bytes"},
		{"raw 16-bit", &formats.Image{Width: 4, Height: 4, Encoding: "mono16", Data: make([]byte, 32)}, "", `fusion: image check: encoding "mono16" not supported`},
		{"corrupt jpeg", &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff, 0x00}}, "", "fusion: image check: "},
		{"not an image", &formats.IMU{}, "", "fusion: image check: payload *formats.IMU is not an image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CheckImage(tc.p)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Verdict != tc.want || c.Samples == 0 {
				t.Errorf("verdict %q (mean %.1f std %.1f dark %.2f bright %.2f, %d samples), want %q", c.Verdict, c.Mean, c.Std, c.Dark, c.Bright, c.Samples, tc.want)
			}
		})
	}
}

// rewriteLog copies a log, replacing the payload of message k of a topic
// with what f returns (nil: unchanged).
func rewriteLog(tb testing.TB, log []byte, f func(topic string, k int, m *formats.Message) formats.Payload) []byte {
	tb.Helper()
	r, err := mcapread.NewReader(bytes.NewReader(log), int64(len(log)), "drive.mcap")
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := mcap.NewWriter(&buf, &mcap.WriterOptions{Chunked: true, ChunkSize: 1 << 20, Compression: mcap.CompressionLZ4})
	if err != nil {
		tb.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{Profile: "ros2"}))
	for _, ch := range r.Channels() {
		if ch.Schema != nil {
			must(w.WriteSchema(ch.Schema))
		}
		must(w.WriteChannel(ch.Channel))
	}
	it, err := r.Messages(mcapread.Options{})
	must(err)
	var ds decode.Decoders
	count := map[string]int{}
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(err)
		topic := m.Channel.Topic
		k := count[topic]
		count[topic]++
		mm := m.Message
		if msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message); err == nil {
			if p := f(topic, k, &msg); p != nil {
				mm.Data, err = rosenc.Marshal(m.Channel.Schema.Name, msg.Stamp, msg.FrameID, p)
				must(err)
			}
		}
		must(w.WriteMessage(&mm))
	}
	must(w.Close())
	return buf.Bytes()
}

// TestDegradedFlags: in a fixture log, cam_front images 4–6 are replaced
// by black JPEGs and image 9 by a saturated one, LiDAR sweep 5 keeps only
// 20 points and radar scan 8 has no detections. Exactly the frames holding
// those messages flag the sensor degraded with a note saying why; the
// others are not degraded. None of the bad images is a 10th one: they are
// caught by their suspiciously small size, not by the periodic check.
func TestDegradedFlags(t *testing.T) {
	lf := base1s(t)
	black := jpegOf(t, 480, 300, func(x, y int) uint8 { return 0 })
	white := jpegOf(t, 480, 300, func(x, y int) uint8 { return 255 })
	bad := map[string]map[int64]string{"cam_front": {}, "lidar_top": {}, "radar_front": {}}
	log := rewriteLog(t, lf.log, func(topic string, k int, m *formats.Message) formats.Payload {
		switch p := m.Payload.(type) {
		case *formats.CompressedImage:
			switch {
			case k >= 4 && k <= 6:
				bad["cam_front"][m.Stamp] = "black image"
				return &formats.CompressedImage{Format: p.Format, Data: black}
			case k == 9:
				bad["cam_front"][m.Stamp] = "saturated image"
				return &formats.CompressedImage{Format: p.Format, Data: white}
			}
		case *formats.PointCloud:
			if k == 5 {
				bad["lidar_top"][m.Stamp] = "near-empty sweep (20 points)"
				q := *p
				q.Width, q.Height = 20, 1
				q.RowStep = 20 * q.PointStep
				q.Data = p.Data[:q.RowStep]
				return &q
			}
		case *formats.RadarScan:
			if k == 8 {
				bad["radar_front"][m.Stamp] = "radar scan with no detections"
				return &formats.RadarScan{}
			}
		}
		return nil
	})
	// The images are decoded with the frame's parallel work: inline with
	// one worker, on the pool with two.
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			frames := run(t, &logFixture{log: log, truth: lf.truth}, Pipeline{NoProject: true, Workers: workers})
			found := map[string]int{}
			for _, f := range frames {
				for _, s := range f.Sensors {
					want, isBad := bad[s.Name][s.Stamp]
					if s.Missing {
						continue
					}
					if s.Degraded != isBad || isBad && !strings.Contains(s.Note, want) {
						t.Errorf("frame %d %s (stamp %d): degraded %v note %q, want %v %q", f.Index, s.Name, s.Stamp, s.Degraded, s.Note, isBad, want)
					}
					if isBad {
						found[s.Name]++
					}
				}
			}
			t.Logf("degraded found: %v", found)
			if found["cam_front"] < 3 || found["lidar_top"] != 1 || found["radar_front"] < 1 {
				t.Errorf("degraded sensors in frames: %v; the replaced messages did not make it into frames", found)
			}
		})
	}
}

// BenchmarkCheckImage: the cost of checking one fixture image (decode and
// sample) against the cheap header look that decides whether to.
func BenchmarkCheckImage(b *testing.B) {
	lf := generate(b, testRig(b, 200e6))
	im := firstImage(b, lf)
	b.Run("check", func(b *testing.B) {
		b.SetBytes(int64(len(im.Data)))
		for b.Loop() {
			if _, err := CheckImage(im); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header", func(b *testing.B) {
		b.SetBytes(int64(len(im.Data)))
		for b.Loop() {
			if _, _, err := image.DecodeConfig(bytes.NewReader(im.Data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

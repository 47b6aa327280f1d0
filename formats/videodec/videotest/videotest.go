// Package videotest makes small H.264 and H.265 test streams with Debian's
// ffmpeg (its lavfi test source through libx264/libx265) for tests of the
// video paths. Tests skip, with the reason, when ffmpeg is not installed.
package videotest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/annexb"
)

// Stream describes a test stream to encode.
type Stream struct {
	// Codec is "h264" or "h265".
	Codec string
	// Width and Height in pixels (even numbers).
	Width, Height int
	// Frames is the number of pictures.
	Frames int
	// GOP is the keyframe interval in frames: pictures 0, GOP, 2·GOP, ...
	// are keyframes, and there are no B-frames (decode order = capture
	// order).
	GOP int
	// Rate is the frame rate the encoder is told (default 10).
	Rate int
}

// Encode encodes the stream and returns its access units (Annex B). As the
// encoders write them, the parameter sets come with the first keyframe
// only. It calls t.Skip when ffmpeg is missing.
func Encode(t testing.TB, s Stream) [][]byte {
	t.Helper()
	aus, err := encode(s, t.TempDir())
	if err == errNoFFmpeg {
		t.Skip("ffmpeg not installed (apt-get install ffmpeg): cannot make H.264/H.265 test streams")
	}
	if err != nil {
		t.Fatal(err)
	}
	return aus
}

var errNoFFmpeg = fmt.Errorf("no ffmpeg")

func encode(s Stream, dir string) ([][]byte, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, errNoFFmpeg
	}
	if s.Rate <= 0 {
		s.Rate = 10
	}
	if s.GOP <= 0 {
		s.GOP = s.Frames
	}
	var enc, mux string
	var extra []string
	switch s.Codec {
	case annexb.H264:
		enc, mux = "libx264", "h264"
		extra = []string{"-x264-params", "log-level=error"}
	case annexb.H265:
		enc, mux = "libx265", "hevc"
		extra = []string{"-x265-params", "log-level=error:scenecut=0"}
	default:
		return nil, fmt.Errorf("videotest: unknown codec %q", s.Codec)
	}
	out := filepath.Join(dir, "stream."+mux)
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
		"-i", fmt.Sprintf("testsrc=size=%dx%d:rate=%d", s.Width, s.Height, s.Rate),
		"-frames:v", strconv.Itoa(s.Frames), "-c:v", enc, "-pix_fmt", "yuv420p",
		"-g", strconv.Itoa(s.GOP), "-keyint_min", strconv.Itoa(s.GOP), "-sc_threshold", "0", "-bf", "0"}
	args = append(args, extra...)
	args = append(args, "-f", mux, "-y", out)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("videotest: ffmpeg %v: %v\n%s", args, err, b)
	}
	stream, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	aus := annexb.AccessUnits(s.Codec, stream)
	if len(aus) != s.Frames {
		return nil, fmt.Errorf("videotest: ffmpeg wrote %d access units, want %d", len(aus), s.Frames)
	}
	return aus, nil
}

// Reference returns the stream's source pictures before encoding, as
// packed 8-bit RGB (3·Width·Height bytes each), from the same lavfi test
// source: the ground truth a decoder's output should approach.
func Reference(t testing.TB, s Stream) [][]byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (apt-get install ffmpeg)")
	}
	if s.Rate <= 0 {
		s.Rate = 10
	}
	out := filepath.Join(t.TempDir(), "ref.rgb")
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
		"-i", fmt.Sprintf("testsrc=size=%dx%d:rate=%d", s.Width, s.Height, s.Rate),
		"-frames:v", strconv.Itoa(s.Frames), "-pix_fmt", "rgb24", "-f", "rawvideo", "-y", out}
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("videotest: ffmpeg %v: %v\n%s", args, err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	size := 3 * s.Width * s.Height
	if len(raw) != size*s.Frames {
		t.Fatalf("videotest: reference has %d bytes, want %d", len(raw), size*s.Frames)
	}
	pics := make([][]byte, s.Frames)
	for i := range pics {
		pics[i] = raw[i*size : (i+1)*size]
	}
	return pics
}

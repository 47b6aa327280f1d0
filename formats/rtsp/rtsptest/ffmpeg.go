package rtsptest

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strconv"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// ErrNoFFmpeg is returned by FFmpegVideo when no ffmpeg binary is on PATH
// (Debian: apt-get install ffmpeg).
var ErrNoFFmpeg = errors.New("rtsptest: ffmpeg not found on PATH (Debian: apt-get install -y ffmpeg)")

// FFmpegVideo encodes frames of ffmpeg's testsrc pattern (w×h at fps) with
// libx264 (codec H264) or libx265 (H265), a keyframe every gop frames and
// no B-frames, and returns the access units (NAL units without start
// codes), split with SplitAccessUnits.
func FFmpegVideo(codec string, w, h, fps, frames, gop int) ([][][]byte, error) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, ErrNoFFmpeg
	}
	var args []string
	src := fmt.Sprintf("testsrc=size=%dx%d:rate=%d", w, h, fps)
	args = append(args, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", src, "-frames:v", strconv.Itoa(frames))
	switch codec {
	case H264:
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
			"-g", strconv.Itoa(gop), "-keyint_min", strconv.Itoa(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-f", "h264", "-")
	case H265:
		args = append(args, "-c:v", "libx265", "-preset", "ultrafast", "-tune", "zerolatency",
			"-x265-params", fmt.Sprintf("bframes=0:keyint=%d:min-keyint=%d:scenecut=0:log-level=error", gop, gop),
			"-pix_fmt", "yuv420p", "-f", "hevc", "-")
	default:
		return nil, fmt.Errorf("rtsptest: ffmpeg codec %q, want h264 or h265", codec)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("rtsptest: ffmpeg: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return SplitAccessUnits(codec, out.Bytes())
}

// SplitAccessUnits splits an Annex-B elementary stream into access units.
// A new unit starts at an access unit delimiter, or at a parameter set or
// SEI after a picture, or at a slice that is the first of its picture
// (H.264: first_mb_in_slice = 0; H.265: first_slice_segment_in_pic_flag).
func SplitAccessUnits(codec string, stream []byte) ([][][]byte, error) {
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(stream); err != nil {
		return nil, fmt.Errorf("rtsptest: annex-b: %w", err)
	}
	var aus [][][]byte
	var cur [][]byte
	hasVCL := false
	flush := func() {
		if len(cur) > 0 {
			aus = append(aus, cur)
		}
		cur, hasVCL = nil, false
	}
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		var vcl, first, prefix bool
		switch codec {
		case H264:
			t := n[0] & 0x1F
			vcl = t >= 1 && t <= 5
			first = vcl && len(n) > 1 && n[1]&0x80 != 0
			prefix = t == 9 || t == 7 || t == 8 || t == 6
		case H265:
			if len(n) < 3 {
				continue
			}
			t := (n[0] >> 1) & 0x3F
			vcl = t < 32
			first = vcl && n[2]&0x80 != 0
			prefix = t == 35 || t == 32 || t == 33 || t == 34 || t == 39
		default:
			return nil, fmt.Errorf("rtsptest: codec %q, want h264 or h265", codec)
		}
		if hasVCL && (prefix || first) {
			flush()
		}
		cur = append(cur, n)
		if vcl {
			hasVCL = true
		}
	}
	flush()
	return aus, nil
}

package liveapp_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fusion/live"
	"github.com/rigsync/rigsync/internal/app/liveapp"
)

func TestWriteText(t *testing.T) {
	s := &liveapp.Summary{Output: "out", Frames: 5, Seconds: 2.04, Stopped: "duration", Reference: "lidar",
		Latency: live.Latency{P50: 12_400_000, P99: 80e6, Max: 90e6}, MaxLatencyNS: 300e6,
		Streams: []live.StreamStats{{Name: "cam", Received: 60, Used: 5, FPS: 29.96, Delay: 3_456_789,
			Dropped: map[string]int{"superseded": 50, "late": 5}}},
		Cameras:  []liveapp.CameraSummary{{Name: "cam", URL: "rtsp://h/cam", Clock: "sender", Video: "ffmpeg"}},
		Warnings: []string{"w"}, Problems: []string{"p"}}
	var buf bytes.Buffer
	liveapp.WriteText(&buf, s)
	want := `wrote 5 fused frames to out in 2.0 s (stopped: duration); reference lidar
latency (write − frame time): p50 12ms  p99 80ms  max 90ms  (bound 300ms)
stream                   received   used  missing     fps     delay  dropped
cam                            60      5        0    30.0       3ms  late 5, superseded 50
camera cam (rtsp://h/cam): clock sender, offset 0s, sessions 0, gaps 0
  video: ffmpeg
warning: w
problem: p
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// Off a terminal a status line is a message line, at most every 10 s;
// on a terminal it is rewritten in place and cleared by a message line
// and by Finish.
func TestStatusWriter(t *testing.T) {
	p := liveapp.Progress{Frames: 3, Streams: []live.StreamStats{{Name: "cam", FPS: 10, Delay: int64(5 * time.Millisecond)}},
		DriftPPM: map[string]float64{"cam": 1.25}}
	var buf bytes.Buffer
	st := liveapp.NewStatusWriter(&buf, false)
	st.Show(p)
	st.Show(p) // within 10 s: not shown
	st.Println("hello")
	st.Finish()
	line := "frames 3 | cam 10.0fps delay 5ms drift +1.2ppm | latency p50 0s max 0s"
	if want := "live: " + line + "\nhello\n"; buf.String() != want {
		t.Errorf("off a terminal: %q, want %q", buf.String(), want)
	}
	buf.Reset()
	st = liveapp.NewStatusWriter(&buf, true)
	st.Show(p)
	st.Println("hello")
	st.Show(p)
	st.Finish()
	if want := "\r\033[K" + line + "\r\033[Khello\n\r\033[K" + line + "\r\033[K"; buf.String() != want {
		t.Errorf("on a terminal: %q, want %q", buf.String(), want)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("status lines end in a newline on a terminal")
	}
}

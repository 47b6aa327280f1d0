package recordapp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/liverec"
	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
	"github.com/rigsync/rigsync/internal/app/recordapp"
)

func TestCheck(t *testing.T) {
	ok := recordapp.Options{Out: "x.mcap", Compression: "zstd", Flush: time.Second, StatusEvery: time.Second}
	with := func(f func(*recordapp.Options)) recordapp.Options { o := ok; f(&o); return o }
	cases := []struct {
		name    string
		o       recordapp.Options
		urls    []string
		wantErr string
	}{
		{"ok", ok, []string{"rtsp://a/x", "rtsps://b/y"}, ""},
		{"no output", with(func(o *recordapp.Options) { o.Out = "" }), []string{"rtsp://a"}, "record: -o OUT.mcap is required"},
		{"http", ok, []string{"http://user:secret@a/x"}, "record: http://user:xxxxx@a/x is not an rtsp:// or rtsps:// URL"},
		{"names short", with(func(o *recordapp.Options) { o.Names = []string{"a"} }), []string{"rtsp://a", "rtsp://b"},
			"record: 1 --name for 2 URLs: give one per URL, in order, or none"},
		{"name with slash", with(func(o *recordapp.Options) { o.Names = []string{"a/b"} }), []string{"rtsp://a"},
			`record: --name "a/b": use a non-empty name without '/' or spaces`},
		{"name twice", with(func(o *recordapp.Options) { o.Names = []string{"a", "a"} }), []string{"rtsp://a", "rtsp://b"},
			`record: --name "a" given twice`},
		{"transport", with(func(o *recordapp.Options) { o.Transport = "quic" }), []string{"rtsp://a"},
			`record: --transport "quic": want tcp, udp or empty (auto)`},
		{"compression", with(func(o *recordapp.Options) { o.Compression = "gz" }), []string{"rtsp://a"},
			`record: --compression "gz": want zstd, lz4 or none`},
		{"negative duration", with(func(o *recordapp.Options) { o.Duration = -time.Second }), []string{"rtsp://a"},
			"record: --duration must be ≥ 0, --flush and --status-every > 0"},
		{"no flush", with(func(o *recordapp.Options) { o.Flush = 0 }), []string{"rtsp://a"},
			"record: --duration must be ≥ 0, --flush and --status-every > 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.Check(c.urls)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != c.wantErr {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if _, ok := errors.AsType[recordapp.UsageError](err); !ok {
				t.Errorf("%v is not a UsageError", err)
			}
		})
	}
}

func TestWriteText(t *testing.T) {
	drift, off := 12.34, -5.0
	r := &recordapp.Report{File: "cams.mcap", Summary: liverec.Summary{Seconds: 3661, Messages: 10, Chunks: 2, FileBytes: 2_500_000,
		Cameras: []liverec.CameraSummary{
			{Name: "front", URL: "rtsp://h/front", Frames: 7322, Bytes: 3661e6 / 8, DriftPPM: &drift, OffsetMs: &off,
				Gaps: []liverec.Range{{StartNs: 1e18, Seconds: 1.5}}},
			{Name: "back", URL: "rtsp://h/back"},
		}}}
	var buf bytes.Buffer
	if err := recordapp.WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	want := `cams.mcap: 10 messages in 2 chunks, 2.5 MB, 01:01:01
CAMERA  FRAMES  FPS  MBIT/S  DRIFT PPM  OFFSET MS  GAPS  RECONNECTS  DROPPED  PROVISIONAL  URL
front   7322    2.0  1.00    +12.3      -5.0       1     0           0        0            rtsp://h/front
back    0       0.0  0.00    -          -          0     0           0        0            rtsp://h/back
gap: front 1.500 s from 2001-09-09T01:46:40Z
latency receive→written p50 0.0 ms p99 0.0 ms; capture→written p50 0.0 ms p99 0.0 ms (includes the camera−host clock offset)
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if got := r.NoFrames(); len(got) != 1 || got[0] != "back" {
		t.Errorf("NoFrames = %v, want [back]", got)
	}
}

// Run records a local test camera for a moment; two cameras that get the
// same name are a UsageError before any file is written.
func TestRun(t *testing.T) {
	jpegs, err := rtsptest.TestJPEGs(64, 48, 10)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rtsptest.Start(rtsptest.Config{Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := filepath.Join(t.TempDir(), "cam.mcap")
	var log bytes.Buffer
	o := recordapp.Options{Out: out, Compression: "zstd", Flush: time.Second, StatusEvery: time.Second, Duration: 700 * time.Millisecond, Log: &log}
	_, err = recordapp.Run(context.Background(), o, []string{s.URL(), s.URL()})
	if _, ok := errors.AsType[recordapp.UsageError](err); !ok || !strings.Contains(err.Error(), "both get the camera name") {
		t.Fatalf("two cameras of one name: %v", err)
	}
	log.Reset()
	rep, err := recordapp.Run(context.Background(), o, []string{s.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.File != out || len(rep.Cameras) != 1 || rep.Cameras[0].Frames == 0 || rep.Messages == 0 || rep.FileBytes == 0 {
		t.Fatalf("report %+v", rep)
	}
	if !strings.HasPrefix(log.String(), "rigsync record: connected to "+s.URL()+" as ") {
		t.Errorf("log %q", log.String())
	}
}

// Check refuses what can be refused before dialling.
func ExampleOptions_Check() {
	o := recordapp.Options{Out: "cams.mcap", Compression: "zstd", Flush: time.Second, StatusEvery: 10 * time.Second}
	fmt.Println(o.Check([]string{"rtsp://10.0.0.11/stream1"}))
	fmt.Println(o.Check([]string{"http://10.0.0.11/stream1"}))
	// Output:
	// <nil>
	// record: http://10.0.0.11/stream1 is not an rtsp:// or rtsps:// URL
}

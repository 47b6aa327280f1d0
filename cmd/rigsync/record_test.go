package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/annexb"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/liverec"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
	"github.com/rigsync/rigsync/formats/videodec"
	"github.com/rigsync/rigsync/formats/videodec/videotest"
	"github.com/rigsync/rigsync/internal/app/recordapp"
)

// recorded is a recording read back with rigsync's reader and decoders.
type recorded struct {
	frames  []formats.Message
	events  []liverec.Event
	warns   []mcapread.Warning
	trusted bool
}

func readRecording(t *testing.T, path string) recorded {
	t.Helper()
	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, trusted := r.Summary()
	out := recorded{trusted: trusted}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ds decode.Decoders
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Channel.Topic == liverec.EventsTopic {
			var e liverec.Event
			if err := json.Unmarshal(m.Data, &e); err != nil {
				t.Fatalf("event %q: %v", m.Data, err)
			}
			out.events = append(out.events, e)
			continue
		}
		m.Data = bytes.Clone(m.Data)
		fm, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			t.Fatal(err)
		}
		out.frames = append(out.frames, fm)
	}
	out.warns = r.Warnings()
	return out
}

// provisionalAt tells whether a frame received at logTime lies in a
// provisional run the recording listed.
func (r recorded) provisionalAt(camera string, logTime int64) bool {
	for _, e := range r.events {
		if e.Kind == "provisional" && e.Camera == camera && logTime >= e.StartNs && logTime <= e.EndNs {
			return true
		}
	}
	return false
}

func startMJPEG(t *testing.T, cfg rtsptest.Config, w, h, n int) *rtsptest.Server {
	t.Helper()
	jpegs, err := rtsptest.TestJPEGs(w, h, n)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Media = []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}}
	s, err := rtsptest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// checkStamps checks every stamped frame of a recording against the
// server's truth: the stamp and publish time are the capture time (within
// 1 ms), the log time is the receive time (after the frame was sent, within
// 500 ms). truthOf finds the frame a message is.
func checkStamps(t *testing.T, rec recorded, camera string, truthOf func(formats.Message) (rtsptest.Sent, bool)) int {
	t.Helper()
	stamped := 0
	for _, m := range rec.frames {
		if m.FrameID != camera {
			t.Fatalf("frame id %q, want %q", m.FrameID, camera)
		}
		if m.PublishTime != m.Stamp {
			t.Fatalf("publish time %d != stamp %d", m.PublishTime, m.Stamp)
		}
		if rec.provisionalAt(camera, m.LogTime) {
			if m.Stamp != m.LogTime {
				t.Fatalf("provisional frame stamped %d, log %d", m.Stamp, m.LogTime)
			}
			continue
		}
		sent, ok := truthOf(m)
		if !ok {
			t.Fatalf("frame at stamp %d not in the server's truth", m.Stamp)
		}
		if d := math.Abs(float64(m.Stamp - sent.Capture)); d > 1e6 {
			t.Fatalf("frame %d: stamp %d, capture %d: off by %.3f ms", sent.Index, m.Stamp, sent.Capture, d/1e6)
		}
		if m.LogTime < sent.Host || m.LogTime-sent.Host > int64(500*time.Millisecond) {
			t.Fatalf("frame %d: log time %d, sent at %d", sent.Index, m.LogTime, sent.Host)
		}
		stamped++
	}
	return stamped
}

func TestRecordMJPEG(t *testing.T) {
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			srv := startMJPEG(t, rtsptest.Config{UDP: transport == "udp", SRPeriod: 200 * time.Millisecond, User: "u", Pass: "s3cret"}, 128, 64, 600)
			out := filepath.Join(t.TempDir(), "cams.mcap")
			code, stdout, stderr := runCLI(t, "record", srv.URL(), "-o", out, "--duration", "1500ms",
				"--transport", transport, "--name", "front", "--json")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(stdout+stderr, "s3cret") {
				t.Fatal("the password was printed")
			}
			if raw, _ := os.ReadFile(out); bytes.Contains(raw, []byte("s3cret")) {
				t.Fatal("the password is in the recording")
			}
			var rep recordapp.Report
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("--json output: %v\n%s", err, stdout)
			}
			rec := readRecording(t, out)
			if !rec.trusted || len(rec.warns) > 0 {
				t.Fatalf("summary trusted %v, warnings %v", rec.trusted, rec.warns)
			}
			truth := map[int]rtsptest.Sent{}
			for _, s := range srv.Truth() {
				truth[s.Index] = s
			}
			stamped := checkStamps(t, rec, "front", func(m formats.Message) (rtsptest.Sent, bool) {
				img, ok := m.Payload.(*formats.CompressedImage)
				if !ok || img.Format != "jpeg" {
					t.Fatalf("payload %T %+v", m.Payload, m.Payload)
				}
				i, err := rtsptest.JPEGIndex(img.Data)
				if err != nil {
					t.Fatal(err)
				}
				s, ok := truth[i]
				return s, ok
			})
			// 1.5 s at 30 fps: about 45 frames (fewer when a loaded
			// machine makes the camera skip some), most with a capture time.
			n := len(rec.frames)
			if n < 30 || n > 50 || stamped < n*2/3 {
				t.Fatalf("%d frames, %d stamped", n, stamped)
			}
			if c := rep.Cameras[0]; c.Frames != uint64(n) || c.Name != "front" || strings.Contains(c.URL, "s3cret") ||
				len(c.Topics) != 1 || c.Topics[0] != "/front/image/compressed" {
				t.Fatalf("summary %+v (read %d frames)", c, n)
			}
			if rep.Cameras[0].DroppedFrames != 0 {
				t.Fatalf("dropped %d frames", rep.Cameras[0].DroppedFrames)
			}
		})
	}
}

// TestRecordLateFirstSenderReport: a camera whose first sender report
// comes 1.5 s into the stream (gortsplib v4 servers wait 10 s) still gets
// every frame stamped with its capture time: record holds the first frames
// (--hold-for-sr) and restamps them when the report arrives.
func TestRecordLateFirstSenderReport(t *testing.T) {
	srv := startMJPEG(t, rtsptest.Config{SRPeriod: 200 * time.Millisecond, FirstSRDelay: 1500 * time.Millisecond}, 128, 64, 600)
	out := filepath.Join(t.TempDir(), "cams.mcap")
	if code, _, stderr := runCLI(t, "record", srv.URL(), "-o", out, "--duration", "2500ms", "--name", "front", "-q"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rec := readRecording(t, out)
	for _, e := range rec.events {
		if e.Kind == "provisional" {
			t.Errorf("provisional run %+v despite the hold", e)
		}
	}
	truth := map[int]rtsptest.Sent{}
	for _, s := range srv.Truth() {
		truth[s.Index] = s
	}
	stamped := checkStamps(t, rec, "front", func(m formats.Message) (rtsptest.Sent, bool) {
		i, err := rtsptest.JPEGIndex(m.Payload.(*formats.CompressedImage).Data)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := truth[i]
		return s, ok
	})
	if n := len(rec.frames); n < 40 || stamped != n {
		t.Fatalf("%d frames, %d stamped from sender reports", n, stamped)
	}
}

// TestRecordVideo serves H.264 and H.265 streams that Debian's ffmpeg
// encodes (a keyframe every 10 frames, parameter sets only in the first)
// and checks the recording: stamps, keyframes marked where the encoder put
// them, every keyframe with its parameter sets, and the recorded stream
// decodes to pictures of the right size.
func TestRecordVideo(t *testing.T) {
	for _, codec := range []string{annexb.H264, annexb.H265} {
		t.Run(codec, func(t *testing.T) {
			if testing.Short() && codec == annexb.H265 {
				t.Skip("libx265 is slow; H.264 covers the path in -short")
			}
			testRecordVideo(t, codec)
		})
	}
}

func testRecordVideo(t *testing.T, codec string) {
	const gop, n = 10, 30
	aus := videotest.Encode(t, videotest.Stream{Codec: codec, Width: 160, Height: 96, Frames: n, GOP: gop})
	var nalus [][][]byte
	for _, au := range aus {
		nalus = append(nalus, annexb.Split(au))
	}
	srv, err := rtsptest.Start(rtsptest.Config{SRPeriod: 200 * time.Millisecond,
		Media: []rtsptest.Media{{Codec: codec, FPS: 30, AccessUnits: nalus}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "video.mcap")
	// TCP: the check below decodes every access unit, which a UDP packet
	// dropped on a loaded machine (the race detector) would cut short.
	code, _, stderr := runCLI(t, "record", srv.URL(), "-o", out, "--duration", "1500ms", "--name", "cam", "-q", "--transport", "tcp")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rec := readRecording(t, out)
	truth := srv.Truth()
	// Which access unit of the 30-frame cycle a recorded frame is, from
	// its last NAL unit (the slice; parameter sets the recorder puts in
	// front do not change it).
	cycle := map[string]int{}
	for k, au := range nalus {
		cycle[string(au[len(au)-1])] = k
	}
	cycleOf := func(m formats.Message) int {
		cv := m.Payload.(*formats.CompressedVideo)
		ns := annexb.Split(cv.Data)
		k, ok := cycle[string(ns[len(ns)-1])]
		if !ok {
			t.Fatalf("recorded access unit %x is none of the stream's", cv.Data[:min(32, len(cv.Data))])
		}
		return k
	}
	stamped := checkStamps(t, rec, "cam", func(m formats.Message) (rtsptest.Sent, bool) {
		// The frame with this content sent nearest the stamp (frames
		// with the same content are 1 s apart).
		k := cycleOf(m)
		best, bestD := rtsptest.Sent{}, int64(math.MaxInt64)
		for _, s := range truth {
			if d := max(m.Stamp-s.Capture, s.Capture-m.Stamp); s.Index%n == k && d < bestD {
				best, bestD = s, d
			}
		}
		return best, bestD < int64(100*time.Millisecond)
	})
	if stamped < len(rec.frames)/2 {
		t.Fatalf("%d of %d frames stamped", stamped, len(rec.frames))
	}
	keyframes := 0
	var fromKey [][]byte
	for _, m := range rec.frames {
		cv, ok := m.Payload.(*formats.CompressedVideo)
		if !ok || cv.Format != codec || m.Topic != "/cam/video" {
			t.Fatalf("%s: payload %T", m.Topic, m.Payload)
		}
		info := annexb.Inspect(codec, cv.Data)
		if info.Keyframe != cv.Keyframe {
			t.Fatalf("keyframe flag %v, data says %v", cv.Keyframe, info.Keyframe)
		}
		if want := cycleOf(m)%gop == 0; cv.Keyframe != want {
			t.Fatalf("access unit %d of the cycle: keyframe %v, want %v", cycleOf(m), cv.Keyframe, want)
		}
		if cv.Keyframe {
			keyframes++
			if !info.HasParams {
				t.Fatalf("keyframe without parameter sets: %x", cv.Data[:min(32, len(cv.Data))])
			}
		}
		if keyframes > 0 {
			fromKey = append(fromKey, cv.Data)
		}
	}
	if keyframes < 3 {
		t.Fatalf("%d keyframes in %d frames", keyframes, len(rec.frames))
	}
	// The recorded video decodes from its first keyframe on, to pictures
	// of the right size, one per access unit.
	if videodec.Available() == nil {
		pics, err := videodec.DecodeAll(context.Background(), codec, fromKey)
		if err != nil {
			t.Fatal(err)
		}
		if len(pics) != len(fromKey) {
			t.Fatalf("%d pictures from %d access units", len(pics), len(fromKey))
		}
		if b := pics[0].Bounds(); b.Dx() != 160 || b.Dy() != 96 {
			t.Fatalf("picture size %v", b)
		}
	}
}

// TestRecordReconnect stops the camera mid-recording and restarts it: the
// recording keeps going, and the outage is a gap in the summary, in the
// events topic and in rigsync info.
func TestRecordReconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("records for 3 s")
	}
	srv := startMJPEG(t, rtsptest.Config{SRPeriod: 200 * time.Millisecond}, 64, 32, 30)
	out := filepath.Join(t.TempDir(), "gap.mcap")
	go func() {
		time.Sleep(800 * time.Millisecond)
		srv.Stop()
		time.Sleep(700 * time.Millisecond)
		if err := srv.Restart(); err != nil {
			t.Error(err)
		}
	}()
	code, stdout, stderr := runCLI(t, "record", srv.URL(), "-o", out, "--duration", "3s", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep recordapp.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Cameras[0]
	if c.Reconnects < 1 || len(c.Gaps) < 1 || c.Gaps[0].Seconds < 0.5 {
		t.Fatalf("camera summary %+v", c)
	}
	rec := readRecording(t, out)
	kinds := map[string]int{}
	for _, e := range rec.events {
		kinds[e.Kind]++
	}
	if kinds["gap"] < 1 || kinds["reconnect"] < 1 {
		t.Fatalf("events %v", kinds)
	}
	// Frames before and after the outage.
	before, after := 0, 0
	for _, m := range rec.frames {
		if m.LogTime <= c.Gaps[0].StartNs {
			before++
		}
		if m.LogTime >= c.Gaps[0].EndNs {
			after++
		}
	}
	if before < 10 || after < 10 {
		t.Fatalf("%d frames before the gap, %d after", before, after)
	}
	rep2 := infoJSON(t, out)
	for _, ch := range rep2.Channels {
		if ch.Topic == "/cam/image/compressed" && ch.GapCount < 1 {
			t.Fatalf("info shows no gap on %s: %+v", ch.Topic, ch)
		}
	}
}

func TestRecordUsage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.mcap")
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no url", []string{"record", "-o", out}, exitUsage, "at least 1"},
		{"no output", []string{"record", "rtsp://127.0.0.1:1/cam"}, exitUsage, "-o OUT.mcap"},
		{"not rtsp", []string{"record", "http://u:pw@host/cam", "-o", out}, exitUsage, "not an rtsp://"},
		{"names", []string{"record", "rtsp://h/a", "rtsp://h/b", "--name", "a", "-o", out}, exitUsage, "--name"},
		{"dup names", []string{"record", "rtsp://h/a", "rtsp://h/b", "--name", "a", "--name", "a", "-o", out}, exitUsage, "twice"},
		{"transport", []string{"record", "rtsp://h/a", "--transport", "sctp", "-o", out}, exitUsage, "transport"},
		{"compression", []string{"record", "rtsp://h/a", "--compression", "gzip", "-o", out}, exitUsage, "compression"},
		{"unreachable", []string{"record", "rtsp://user:hunter2@127.0.0.1:1/cam", "-o", out}, exitError, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, stderr, tc.msg)
			}
			if strings.Contains(stdout+stderr, "hunter2") || strings.Contains(stdout+stderr, ":pw@") {
				t.Fatal("credentials printed")
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("an output file was created")
			}
		})
	}
}

// TestRecordChild is the recording subprocess of the signal tests; it does
// nothing unless RIGSYNC_RECORD_ARGS is set.
func TestRecordChild(t *testing.T) {
	args := os.Getenv("RIGSYNC_RECORD_ARGS")
	if args == "" {
		t.Skip("subprocess of TestRecordSignals")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, strings.Split(args, "\x1f"), os.Stdout, os.Stderr)
	os.Exit(code)
}

// TestRecordSignals records in a subprocess and ends it with SIGINT (the
// file is finished: summary and index) or SIGKILL (every chunk flushed
// before the kill is read back).
func TestRecordSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("records for 2 s in a subprocess")
	}
	srv := startMJPEG(t, rtsptest.Config{SRPeriod: 200 * time.Millisecond}, 64, 32, 30)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "sig.mcap")
			cmd := exec.Command(os.Args[0], "-test.run=^TestRecordChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "RIGSYNC_RECORD_ARGS="+strings.Join(
				[]string{"record", srv.URL(), "-o", out, "--flush", "300ms", "--json"}, "\x1f"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			killedAt := time.Now().UnixNano()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			rec := readRecording(t, out)
			n := len(rec.frames)
			if sig == syscall.SIGKILL {
				if err == nil {
					t.Fatal("killed child exited cleanly")
				}
				if rec.trusted {
					t.Fatal("a killed recording has a trusted summary")
				}
				// About 1.8 s of 30 fps was received; all but the last
				// ~300 ms (the open chunk, and the one being written)
				// must be there (1.2 s allowed on a loaded machine).
				if n < 30 {
					t.Fatalf("recovered %d frames", n)
				}
				last := rec.frames[n-1].LogTime
				if killedAt-last > int64(1200*time.Millisecond) {
					t.Fatalf("last recovered frame %.0f ms before the kill", float64(killedAt-last)/1e6)
				}
				// rigsync info reads the killed file.
				rep := infoJSON(t, out)
				if rep.SummaryComplete || rep.MessageCount < uint64(n) {
					t.Fatalf("info: summary %v, %d messages (read %d frames)", rep.SummaryComplete, rep.MessageCount, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("child: %v\n%s", err, stderr.String())
			}
			var rep recordapp.Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("summary: %v\n%s\n%s", err, stdout.String(), stderr.String())
			}
			if !rec.trusted || n < 40 || rep.Cameras[0].Frames != uint64(n) {
				t.Fatalf("trusted %v, %d frames, summary says %d", rec.trusted, n, rep.Cameras[0].Frames)
			}
			// The mcap library opens it by its index.
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			lr, err := mcap.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			info, err := lr.Info()
			if err != nil {
				t.Fatal(err)
			}
			if len(info.ChunkIndexes) == 0 || info.Statistics == nil || info.Statistics.MessageCount != rep.Messages {
				t.Fatalf("index: %d chunks, statistics %+v, summary says %d messages", len(info.ChunkIndexes), info.Statistics, rep.Messages)
			}
			it, err := lr.Messages(mcap.UsingIndex(true))
			if err != nil {
				t.Fatal(err)
			}
			k := uint64(0)
			for {
				if _, _, _, err := it.NextInto(nil); err != nil {
					if errors.Is(err, io.EOF) {
						break
					}
					t.Fatal(err)
				}
				k++
			}
			if k != rep.Messages {
				t.Fatalf("indexed read: %d messages, want %d", k, rep.Messages)
			}
		})
	}
}

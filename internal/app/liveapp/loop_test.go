package liveapp

import (
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/replay"
	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/live"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// memCamera is a Camera fed from the test: frames and events go over
// unbuffered channels, so a send returns once the loop's reader took it.
type memCamera struct {
	frames chan rtsp.Frame
	events chan rtsp.Event
	mu     sync.Mutex
	closed bool
}

func newMemCamera() *memCamera {
	return &memCamera{frames: make(chan rtsp.Frame), events: make(chan rtsp.Event)}
}

func (c *memCamera) Frames() <-chan rtsp.Frame { return c.frames }
func (c *memCamera) Events() <-chan rtsp.Event { return c.events }
func (c *memCamera) Stats() rtsp.Stats         { return rtsp.Stats{} }
func (c *memCamera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

// memReplay is a --with log fed from the test: Next returns what the test
// sends, io.EOF once it closes msgs.
type memReplay struct{ msgs chan formats.Message }

func (r *memReplay) Next(ctx context.Context) (formats.Message, error) {
	select {
	case m, ok := <-r.msgs:
		if !ok {
			return formats.Message{}, io.EOF
		}
		return m, nil
	case <-ctx.Done():
		return formats.Message{}, ctx.Err()
	}
}
func (r *memReplay) Mapping() replay.Mapping { return replay.Mapping{Speed: 1} }

// memSink records the frames the loop writes and tells the test about
// each; it fails the write of frame fail (−1: never).
type memSink struct {
	fail    int
	written chan *fused.Frame
}

var errDisk = errors.New("disk full")

func (s *memSink) Write(_ context.Context, f *fused.Frame) error {
	if f.Index == s.fail {
		return errDisk
	}
	s.written <- f
	return nil
}
func (s *memSink) Close() error { return nil }

// newTestLoop is a loop over three streams: the replayed log's camera (stream 0,
// the reference) and the live cameras front and rear.
func newTestLoop(t *testing.T, sink *memSink) (*loop, *memCamera, *memCamera, *memReplay) {
	t.Helper()
	streams := []live.Stream{
		{Name: "log_cam", Topic: "/log_cam/image/compressed", Modality: formats.Camera},
		{Name: "front", Topic: "/front/image/compressed", Modality: formats.Camera},
		{Name: "rear", Topic: "/rear/image/compressed", Modality: formats.Camera},
	}
	cal := &fusion.Calibration{Base: "base_link", Extrinsics: map[string]se3.Transform{
		"log_cam": se3.Identity(), "front": se3.Identity(), "rear": se3.Identity()}}
	fu, err := live.New(live.Config{Streams: streams, Calibration: cal, Tolerance: 20 * time.Millisecond,
		MaxLatency: 10 * time.Second}, sink)
	if err != nil {
		t.Fatal(err)
	}
	front, rear := newMemCamera(), newMemCamera()
	var cams []*camera
	for i, c := range []*memCamera{front, rear} {
		m, err := live.NewHostMapper(live.ClockAuto)
		if err != nil {
			t.Fatal(err)
		}
		name := streams[i+1].Name
		cams = append(cams, &camera{name: name, frame: name, client: c, mapper: m, stream: i + 1})
	}
	rp := &memReplay{msgs: make(chan formats.Message)}
	return &loop{fu: fu, cams: cams, replay: rp, cal: cal, topicStream: map[string]int{"/log_cam/image/compressed": 0},
		imuTopics: map[string]bool{}, say: func(string) {}, sum: &Summary{}}, front, rear, rp
}

// image is a frame's payload, marked with who sent it.
func image(tag string) *formats.CompressedImage {
	return &formats.CompressedImage{Format: "jpeg", Data: []byte(tag)}
}

// liveFrame is an RTSP camera frame captured at capture (host clock),
// stamped by a camera clock ahead of the host by ahead, received delay
// after capture.
func liveFrame(name string, capture, ahead, delay int64, session int, tag string) rtsp.Frame {
	return rtsp.Frame{Msg: formats.Message{Topic: "/" + name + "/image/compressed", FrameID: name,
		Stamp: capture + ahead, LogTime: capture + delay, StampClock: formats.SensorClock(name, "/"+name+"/image/compressed"),
		Payload: image(tag)}, Codec: rtsp.CodecMJPEG, Session: session}
}

// start runs the loop; the returned function waits for its error.
func start(ctx context.Context, l *loop) func() error {
	errc := make(chan error, 1)
	go func() { errc <- l.run(ctx) }()
	return func() error {
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Second):
			panic("the loop did not return")
		}
	}
}

// TestLoopFusesInMemoryStreams drives the loop with two in-memory
// cameras and an in-memory --with log: every frame holds the log's image
// and each camera's image of the same instant; the front camera's clock,
// 10 s ahead, is mapped onto the host clock (late by its least delay,
// 4 ms) from its first frames on; a reconnect (session 2) keeps the
// mapping; a second track of a camera is ignored; gaps are reported; the
// end of the log ends the run.
func TestLoopFusesInMemoryStreams(t *testing.T) {
	const ms = int64(time.Millisecond)
	sink := &memSink{fail: -1, written: make(chan *fused.Frame, 16)}
	l, front, rear, rp := newTestLoop(t, sink)
	lines := make(chan string, 16)
	l.say = func(s string) { lines <- s }
	wait := start(context.Background(), l)

	base := time.Now().UnixNano()
	const n = 6
	delays := []int64{4, 9, 12, 6, 8, 5} // front's capture → receive, ms
	for k := range int64(n) {
		capture := base + k*100*ms
		session := 1
		if k >= 4 {
			session = 2 // front reconnected
		}
		rp.msgs <- formats.Message{Topic: "/log_cam/image/compressed", FrameID: "log_cam", Stamp: capture,
			StampClock: formats.ClockLog, LogTime: capture, Payload: image("log")}
		front.frames <- liveFrame("front", capture, 10*int64(time.Second), delays[k]*ms, session, "front")
		rear.frames <- liveFrame("rear", capture, 0, 3*ms, 1, "rear")
		if k == 2 {
			second := liveFrame("rear", capture, 0, 3*ms, 1, "rear2")
			second.Msg.Topic = "/rear/image/compressed_2"
			rear.frames <- second
			rear.events <- rtsp.Event{Kind: rtsp.EventGap, Start: capture, End: capture + 1500*ms}
		}
	}
	// Every frame but the last is complete once each stream has its next
	// message; the last one waits for the end.
	var got []*fused.Frame
	for range n - 1 {
		select {
		case f := <-sink.written:
			got = append(got, f)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d frames written, want %d", len(got), n-1)
		}
	}
	select {
	case line := <-lines:
		if line != "live: rear: gap of 1.5s" {
			t.Errorf("line %q, want the rear gap", line)
		}
	case <-time.After(10 * time.Second):
		t.Error("the rear gap was not reported")
	}
	close(rp.msgs)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if err := l.fu.Flush(context.Background(), time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	got = append(got, <-sink.written)

	if l.sum.Stopped != "end of --with" {
		t.Errorf("stopped %q, want end of --with", l.sum.Stopped)
	}
	for k, f := range got {
		capture := base + int64(k)*100*ms
		if f.Index != k || f.Stamp != capture {
			t.Errorf("frame %d: index %d stamp %+d ns, want its log image's", k, f.Index, f.Stamp-capture)
		}
		var tags []string
		for _, c := range f.Cameras {
			tags = append(tags, c.Name+"="+string(c.Image.(*formats.CompressedImage).Data))
			want := capture
			switch c.Name {
			case "front":
				want = capture + 4*ms // host-mapped: late by the least delay
			case "rear":
				want = capture // sender clock, kept
			}
			if c.Stamp != want {
				t.Errorf("frame %d: %s stamped %+d ns from capture, want %+d", k, c.Name, c.Stamp-capture, want-capture)
			}
		}
		if want := []string{"log_cam=log", "front=front", "rear=rear"}; !slices.Equal(tags, want) {
			t.Errorf("frame %d: cameras %v, want %v", k, tags, want)
		}
	}
	if l.cams[0].mapper.Mode() != live.ClockHost || l.cams[1].mapper.Mode() != live.ClockSender {
		t.Errorf("clock modes front %s, rear %s; want host, sender", l.cams[0].mapper.Mode(), l.cams[1].mapper.Mode())
	}
	if l.cams[0].session != 2 || l.cams[1].ignored != 1 {
		t.Errorf("front session %d, rear ignored %d; want 2 and 1", l.cams[0].session, l.cams[1].ignored)
	}
	lat := l.fu.Latency()
	if lat.Max <= 0 || lat.Max > int64(10*time.Second) {
		t.Errorf("latency %+v: want the frames' write − frame time, under the bound", lat)
	}
}

// TestLoopStopsOnSinkError: a sink error ends the run with that error
// while cameras still send, and the loop's goroutines end with it (a
// blocked camera reader would hang wait or trip the race detector).
func TestLoopStopsOnSinkError(t *testing.T) {
	const ms = int64(time.Millisecond)
	sink := &memSink{fail: 1, written: make(chan *fused.Frame, 64)}
	l, front, rear, rp := newTestLoop(t, sink)
	wait := start(context.Background(), l)
	base := time.Now().UnixNano()
	stop := make(chan struct{})
	var feeders sync.WaitGroup
	feed := func(send func(k int64)) {
		feeders.Add(1)
		go func() {
			defer feeders.Done()
			for k := int64(0); ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				send(k)
			}
		}()
	}
	feed(func(k int64) {
		select {
		case rp.msgs <- formats.Message{Topic: "/log_cam/image/compressed", FrameID: "log_cam", Stamp: base + k*100*ms, Payload: image("log")}:
		case <-stop:
		case <-time.After(time.Second):
		}
	})
	for i, c := range []*memCamera{front, rear} {
		name := []string{"front", "rear"}[i]
		feed(func(k int64) {
			select {
			case c.frames <- liveFrame(name, base+k*100*ms, 0, 2*ms, 1, name):
			case <-stop:
			case <-time.After(time.Second):
			}
		})
	}
	err := wait()
	close(stop)
	feeders.Wait()
	if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "frame 1") {
		t.Fatalf("run returned %v, want frame 1's %v", err, errDisk)
	}
	if n := len(sink.written); n != 1 {
		t.Errorf("%d frames written, want 1 (none after the error)", n)
	}
}

// TestLoopRoutesLogEgoAndCameraInfo: the --with log's odometry goes to the
// Fuser's ego track (frames carry the odometry pose, EgoSource
// "odometry") and its CameraInfo gives a camera without rig intrinsics
// its intrinsics.
func TestLoopRoutesLogEgoAndCameraInfo(t *testing.T) {
	const ms = int64(time.Millisecond)
	sink := &memSink{fail: -1, written: make(chan *fused.Frame, 16)}
	streams := []live.Stream{{Name: "log_cam", Topic: "/log_cam/image/compressed", Modality: formats.Camera},
		{Name: "side", Topic: "/side/image/compressed", Modality: formats.Camera}}
	cal := &fusion.Calibration{Base: "base_link", Extrinsics: map[string]se3.Transform{"log_cam": se3.Identity(), "side": se3.Identity()}}
	fu, err := live.New(live.Config{Streams: streams, Calibration: cal, Tolerance: 20 * time.Millisecond,
		MaxLatency: 10 * time.Second, Ego: "odometry"}, sink)
	if err != nil {
		t.Fatal(err)
	}
	rp := &memReplay{msgs: make(chan formats.Message)}
	l := &loop{fu: fu, replay: rp, cal: cal, topicStream: map[string]int{"/log_cam/image/compressed": 0, "/side/image/compressed": 1},
		imuTopics: map[string]bool{}, egoTopics: map[string]bool{"/odom": true}, with: "drive.mcap",
		say: func(string) {}, sum: &Summary{}}
	wait := start(context.Background(), l)
	base := time.Now().UnixNano()
	info := &formats.CameraInfo{Width: 64, Height: 48, DistortionModel: "plumb_bob", D: make([]float64, 5),
		K: [9]float64{50, 0, 32, 0, 50, 24, 0, 0, 1}}
	rp.msgs <- formats.Message{Topic: "/log_cam/camera_info", FrameID: "log_cam", Stamp: base, StampClock: formats.ClockLog,
		LogTime: base, Payload: info}
	// x = 1 m per 100 ms along x.
	for k := range int64(40) {
		st := base + k*25*ms
		rp.msgs <- formats.Message{Topic: "/odom", FrameID: "odom", Stamp: st, StampClock: formats.ClockLog, LogTime: st,
			Payload: &formats.Odometry{ChildFrame: "base_link", Pose: formats.Pose{Position: r3.Vec{X: float64(k) / 4}, Orientation: quat.Number{Real: 1}}}}
		if k%4 == 0 && k < 24 {
			for _, cam := range []string{"log_cam", "side"} {
				rp.msgs <- formats.Message{Topic: "/" + cam + "/image/compressed", FrameID: cam, Stamp: st,
					StampClock: formats.ClockLog, LogTime: st, Payload: image("log")}
			}
		}
	}
	close(rp.msgs)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if err := l.fu.Flush(context.Background(), time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	close(sink.written)
	n := 0
	for f := range sink.written {
		n++
		want := float64(f.Stamp-base) / float64(100*ms)
		if f.EgoSource != "odometry" || math.Abs(f.Ego.Trans.X-want) > 1e-9 {
			t.Errorf("frame %d: ego %q at x = %g, want odometry at %g", f.Index, f.EgoSource, f.Ego.Trans.X, want)
		}
		if len(f.Cameras) != 2 || f.Cameras[0].Info.K != info.K || f.Sensors[0].Degraded {
			t.Errorf("frame %d: cameras %+v, status %+v: want the log's CameraInfo", f.Index, f.Cameras, f.Sensors[0])
		}
	}
	if n != 6 {
		t.Errorf("%d frames, want 6", n)
	}
}

// ctxSink is a memSink whose writes fail once their context is done, as
// a writer that honours cancellation does.
type ctxSink struct{ memSink }

func (s *ctxSink) Write(ctx context.Context, f *fused.Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.memSink.Write(ctx, f)
}

// TestLoopInterruptedWritesWhatArrived: when the run's context ends
// (Ctrl-C, --duration), the camera frames still waiting for their clock
// mapping are pushed and the frames they complete are written, not failed
// with the cancellation.
func TestLoopInterruptedWritesWhatArrived(t *testing.T) {
	const ms = int64(time.Millisecond)
	sink := &ctxSink{memSink{fail: -1, written: make(chan *fused.Frame, 16)}}
	l, front, rear, rp := newTestLoop(t, &sink.memSink)
	fu, err := live.New(live.Config{Streams: []live.Stream{
		{Name: "log_cam", Topic: "/log_cam/image/compressed", Modality: formats.Camera},
		{Name: "front", Topic: "/front/image/compressed", Modality: formats.Camera},
		{Name: "rear", Topic: "/rear/image/compressed", Modality: formats.Camera},
	}, Calibration: l.cal, Tolerance: 20 * time.Millisecond, MaxLatency: 10 * time.Second}, sink)
	if err != nil {
		t.Fatal(err)
	}
	l.fu = fu
	ctx, cancel := context.WithCancel(context.Background())
	wait := start(ctx, l)
	base := time.Now().UnixNano()
	for k := range int64(4) {
		capture := base + k*100*ms
		rp.msgs <- formats.Message{Topic: "/log_cam/image/compressed", FrameID: "log_cam", Stamp: capture,
			StampClock: formats.ClockLog, LogTime: capture, Payload: image("log")}
		front.frames <- liveFrame("front", capture, 10*int64(time.Second), 4*ms, 1, "front")
		rear.frames <- liveFrame("rear", capture, 0, 3*ms, 1, "rear")
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("interrupted run: %v, want the frames written", err)
	}
	if l.sum.Stopped != "interrupted" {
		t.Errorf("stopped %q, want interrupted", l.sum.Stopped)
	}
	if len(sink.written) == 0 {
		t.Error("no frame written")
	}
}

// gateSink holds its first write until released, then fails it if its
// context has ended (as the writers do).
type gateSink struct {
	memSink
	started, release chan struct{}
	calls            int
}

func (s *gateSink) Write(ctx context.Context, f *fused.Frame) error {
	s.calls++
	if s.calls == 1 {
		close(s.started)
		<-s.release
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.memSink.Write(ctx, f)
}

// TestLoopEndDuringWrite: the run ending (Ctrl-C, --duration) while a
// frame is being written does not fail that frame or the run ("live:
// frame N: context deadline exceeded" under load before): frames are
// written with a context the run's end does not cancel, and the loop
// stops at its next select.
func TestLoopEndDuringWrite(t *testing.T) {
	const ms = int64(time.Millisecond)
	sink := &gateSink{memSink: memSink{fail: -1, written: make(chan *fused.Frame, 16)}, started: make(chan struct{}), release: make(chan struct{})}
	l, front, rear, rp := newTestLoop(t, &sink.memSink)
	fu, err := live.New(live.Config{Streams: []live.Stream{
		{Name: "log_cam", Topic: "/log_cam/image/compressed", Modality: formats.Camera},
		{Name: "front", Topic: "/front/image/compressed", Modality: formats.Camera},
		{Name: "rear", Topic: "/rear/image/compressed", Modality: formats.Camera},
	}, Calibration: l.cal, Tolerance: 20 * time.Millisecond, MaxLatency: 10 * time.Second}, sink)
	if err != nil {
		t.Fatal(err)
	}
	l.fu = fu
	ctx, cancel := context.WithCancel(context.Background())
	wait := start(ctx, l)
	base := time.Now().UnixNano()
	go func() {
		for k := range int64(4) {
			capture := base + k*100*ms
			rp.msgs <- formats.Message{Topic: "/log_cam/image/compressed", FrameID: "log_cam", Stamp: capture,
				StampClock: formats.ClockLog, LogTime: capture, Payload: image("log")}
			front.frames <- liveFrame("front", capture, 10*int64(time.Second), 4*ms, 1, "front")
			rear.frames <- liveFrame("rear", capture, 0, 3*ms, 1, "rear")
		}
	}()
	select {
	case <-sink.started: // a frame is being written while the run goes on
	case <-time.After(10 * time.Second):
		t.Fatal("no frame was written")
	}
	cancel()
	close(sink.release)
	if err := wait(); err != nil {
		t.Fatalf("run ended during a write: %v, want the frame written", err)
	}
	if len(sink.written) == 0 {
		t.Error("no frame written")
	}
}

package liverec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapwrite"
	"github.com/rigsync/rigsync/formats/rtsp"
)

// fakeSource replays a scripted list of frames and events, then waits for
// Close.
type fakeSource struct {
	name    string
	session int
	frames  chan rtsp.Frame
	events  chan rtsp.Event
	once    sync.Once
	closed  chan struct{}
}

func newFake(name string) *fakeSource {
	return &fakeSource{name: name, frames: make(chan rtsp.Frame, 100), events: make(chan rtsp.Event, 100), closed: make(chan struct{})}
}

func (f *fakeSource) Name() string              { return f.name }
func (f *fakeSource) Frames() <-chan rtsp.Frame { return f.frames }
func (f *fakeSource) Events() <-chan rtsp.Event { return f.events }
func (f *fakeSource) Stats() rtsp.Stats         { return rtsp.Stats{URL: "rtsp://host/" + f.name} }
func (f *fakeSource) Close() error {
	f.once.Do(func() { close(f.frames); close(f.events); close(f.closed) })
	return nil
}
func (f *fakeSource) frame(stamp, recv int64, prov bool) {
	clock := formats.SensorClock(f.name, "")
	if prov {
		stamp, clock = recv, formats.ClockLog
	}
	f.frames <- rtsp.Frame{Provisional: prov, Codec: "mjpeg", Session: max(f.session, 1), Msg: formats.Message{
		Topic: "/" + f.name + "/image/compressed", FrameID: f.name, Stamp: stamp, StampClock: clock,
		LogTime: recv, PublishTime: stamp, Payload: &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, byte(recv / 1e6)}}}}
}

type readBack struct {
	msgs   []formats.Message
	events []Event
	md     map[string]string
}

func read(t *testing.T, path string) readBack {
	t.Helper()
	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ds decode.Decoders
	var out readBack
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Channel.Topic == EventsTopic {
			var e Event
			if err := json.Unmarshal(m.Data, &e); err != nil {
				t.Fatal(err)
			}
			out.events = append(out.events, e)
			continue
		}
		m.Data = bytes.Clone(m.Data)
		fm, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			t.Fatal(err)
		}
		out.msgs = append(out.msgs, fm)
	}
	// The metadata record, with the mcap library.
	lr, err := mcap.NewReader(bytes.NewReader(mustRead(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	info, err := lr.Info()
	if err != nil {
		t.Fatal(err)
	}
	for _, mi := range info.MetadataIndexes {
		md, err := lr.GetMetadata(mi.Offset)
		if err != nil {
			t.Fatal(err)
		}
		if md.Name == MetadataName {
			out.md = md.Metadata
		}
	}
	return out
}

func TestSession(t *testing.T) {
	for _, drop := range []bool{false, true} {
		t.Run(map[bool]string{false: "keep", true: "drop"}[drop], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec.mcap")
			w, err := mcapwrite.Create(path, mcapwrite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			a, b := newFake("cam_a"), newFake("cam_b")
			const ms = int64(time.Millisecond)
			base := int64(1_750_000_000) * 1e9
			// cam_a: connected, 2 provisional frames, 3 stamped, an
			// outage (reconnect + gap), 1 provisional, 2 stamped.
			a.events <- rtsp.Event{Kind: rtsp.EventConnected, Start: base}
			a.frame(0, base+10*ms, true)
			a.frame(0, base+43*ms, true)
			for i := range 3 {
				a.frame(base+int64(70+33*i)*ms, base+int64(76+33*i)*ms, false)
			}
			a.events <- rtsp.Event{Kind: rtsp.EventError, Start: base + 200*ms, Err: errors.New("EOF")}
			a.events <- rtsp.Event{Kind: rtsp.EventReconnect, Start: base + 900*ms}
			a.session = 2
			a.frame(0, base+950*ms, true)
			a.events <- rtsp.Event{Kind: rtsp.EventGap, Start: base + 142*ms, End: base + 950*ms}
			a.frame(base+980*ms, base+985*ms, false)
			a.frame(base+1013*ms, base+1018*ms, false)
			// cam_b: 4 stamped frames.
			for i := range 4 {
				b.frame(base+int64(33*i)*ms, base+int64(33*i+4)*ms, false)
			}
			ctx, cancel := context.WithCancel(context.Background())
			s, err := New(mcapwrite.NewRecorder(w), []Source{a, b}, Options{DropProvisional: drop})
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				time.Sleep(200 * time.Millisecond)
				cancel()
			}()
			sum, err := s.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			ca, cb := sum.Cameras[0], sum.Cameras[1]
			wantA := uint64(8)
			if drop {
				wantA = 5
			}
			if ca.Frames != wantA || cb.Frames != 4 || len(ca.Gaps) != 1 || len(ca.ProvisionalRanges) != 2 || len(cb.ProvisionalRanges) != 0 {
				t.Fatalf("summary a %+v\nb %+v", ca, cb)
			}
			if g := ca.Gaps[0]; g.StartNs != base+142*ms || g.EndNs != base+950*ms {
				t.Errorf("gap %+v", g)
			}
			if p := ca.ProvisionalRanges[0]; p.StartNs != base+10*ms || p.EndNs != base+43*ms || p.Frames != 2 {
				t.Errorf("provisional run %+v", p)
			}
			if ca.FirstStamp != base+70*ms || ca.LastStamp != base+1013*ms {
				t.Errorf("stamps %d..%d", ca.FirstStamp, ca.LastStamp)
			}

			rb := read(t, path)
			if len(rb.msgs) != int(wantA+4) {
				t.Fatalf("read %d frames, want %d", len(rb.msgs), wantA+4)
			}
			for _, m := range rb.msgs {
				// Timestamp and publish time are the stamp; log time is
				// the receive time; provisional frames have stamp = log.
				if m.Stamp != m.PublishTime || m.LogTime < m.Stamp {
					t.Errorf("%s: stamp %d publish %d log %d", m.Topic, m.Stamp, m.PublishTime, m.LogTime)
				}
				if drop && m.Stamp == m.LogTime {
					t.Errorf("provisional frame written with --drop: %+v", m)
				}
			}
			kinds := map[string]int{}
			for _, e := range rb.events {
				kinds[e.Kind]++
				if e.Kind == "provisional" && e.Dropped != drop {
					t.Errorf("provisional event %+v", e)
				}
				if e.Kind == "error" && e.Error != "EOF" {
					t.Errorf("error event %+v", e)
				}
			}
			if kinds["connected"] != 1 || kinds["reconnect"] != 1 || kinds["gap"] != 1 || kinds["error"] != 1 || kinds["provisional"] != 2 {
				t.Errorf("events %v", kinds)
			}
			if rb.md["cameras"] != "cam_a,cam_b" {
				t.Fatalf("metadata %v", rb.md)
			}
			var cam struct {
				Gaps []Range `json:"gaps"`
			}
			if err := json.Unmarshal([]byte(rb.md["camera.cam_a"]), &cam); err != nil || len(cam.Gaps) != 1 {
				t.Fatalf("camera metadata %q: %v", rb.md["camera.cam_a"], err)
			}
		})
	}
}

func TestDuplicateNames(t *testing.T) {
	w, _ := mcapwrite.New(io.Discard, mcapwrite.Options{})
	if _, err := New(mcapwrite.NewRecorder(w), []Source{newFake("x"), newFake("x")}, Options{}); err == nil {
		t.Fatal("duplicate names accepted")
	}
}

func TestHist(t *testing.T) {
	var h hist
	if h.quantile(0.5) != 0 {
		t.Fatal("empty histogram")
	}
	for i := 1; i <= 100; i++ {
		h.add(int64(i) * 1e6) // 1..100 ms
	}
	if p50, p99 := h.quantile(0.5), h.quantile(0.99); p50 < 50 || p50 > 50.11 || p99 < 99 || p99 > 99.11 {
		t.Fatalf("p50 %.2f p99 %.2f", p50, p99)
	}
	var neg hist
	neg.add(-1500e6)
	neg.add(-20e6)
	neg.add(1e12) // clamped to 100 s
	if q0, q50, q1 := neg.quantile(0), neg.quantile(0.5), neg.quantile(1); q0 != -1499.9 || q50 != -19.9 || q1 != 100000.1 {
		t.Fatalf("quantiles %.2f %.2f %.2f", q0, q50, q1)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fullDisk accepts the MCAP header, then fails every write.
type fullDisk struct{ n int }

func (d *fullDisk) Write(p []byte) (int, error) {
	if d.n+len(p) > 1024 {
		return 0, errors.New("no space left on device")
	}
	d.n += len(p)
	return len(p), nil
}

// TestWriteErrorStops checks that a failing disk ends the recording with
// the error instead of hanging or losing it.
func TestWriteErrorStops(t *testing.T) {
	w, err := mcapwrite.New(&fullDisk{}, mcapwrite.Options{ChunkBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := newFake("cam")
	for i := range 20 {
		a.frame(int64(i+1)*1e9, int64(i+1)*1e9, false)
	}
	s, err := New(mcapwrite.NewRecorder(w), []Source{a}, Options{StatusEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = s.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Run = %v, want the disk error", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run waited for the context instead of stopping at the error")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a disk error returned nil")
	}
}

package mcapwrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/annexb"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// fakeClock is a settable wall clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// readAll reads a file back with rigsync's reader and decoders.
func readAll(t *testing.T, path string) ([]formats.Message, *mcapread.Reader) {
	t.Helper()
	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ds decode.Decoders
	var out []formats.Message
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m.Data = bytes.Clone(m.Data) // the iterator reuses its buffers
		fm, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fm)
	}
	return out, r
}

// jpegish is a fake JPEG payload whose bytes tell its index.
func jpegish(i int) []byte { return []byte(fmt.Sprintf("\xff\xd8frame-%04d\xff\xd9", i)) }

func TestRecorderRoundTrip(t *testing.T) {
	for _, comp := range []string{"zstd", "lz4", "none"} {
		t.Run(comp, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec.mcap")
			w, err := Create(path, Options{Compression: comp, ChunkBytes: 200})
			if err != nil {
				t.Fatal(err)
			}
			rec := NewRecorder(w)
			const n = 50
			base := int64(1_700_000_000_000_000_000)
			for i := range n {
				for _, cam := range []string{"front", "rear"} {
					stamp := base + int64(i)*33_333_333
					m := formats.Message{Topic: "/" + cam + "/image/compressed", FrameID: cam,
						Stamp: stamp, StampClock: "ntp:" + cam, LogTime: stamp + 5_000_000 + int64(len(cam)),
						Payload: &formats.CompressedImage{Format: "jpeg", Data: jpegish(i)}}
					if err := rec.Write(m); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := rec.WriteJSON("/rigsync/events", "rigsync.RecordEvent", []byte(`{"type":"object"}`), base, map[string]any{"kind": "gap"}); err != nil {
				t.Fatal(err)
			}
			if err := w.Metadata("rigsync.record", map[string]string{"cameras": "front,rear"}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if w.Stats().Chunks < 10 {
				t.Fatalf("only %d chunks with ChunkBytes 200", w.Stats().Chunks)
			}
			msgs, r := readAll(t, path)
			if _, trusted := r.Summary(); !trusted {
				t.Fatalf("summary not trusted: %v", r.Warnings())
			}
			if len(r.Warnings()) != 0 {
				t.Fatalf("warnings: %v", r.Warnings())
			}
			if len(msgs) != 2*n+1 {
				t.Fatalf("read %d messages, want %d", len(msgs), 2*n+1)
			}
			per := map[string]int{}
			for _, m := range msgs {
				if m.Topic == "/rigsync/events" {
					continue
				}
				i := per[m.FrameID]
				per[m.FrameID]++
				img := m.Payload.(*formats.CompressedImage)
				wantStamp := base + int64(i)*33_333_333
				if m.Stamp != wantStamp || m.PublishTime != wantStamp || m.LogTime != wantStamp+5_000_000+int64(len(m.FrameID)) ||
					!bytes.Equal(img.Data, jpegish(i)) || img.Format != "jpeg" || int(m.Sequence) != i {
					t.Fatalf("%s #%d: stamp %d publish %d log %d seq %d data %q", m.FrameID, i, m.Stamp, m.PublishTime, m.LogTime, m.Sequence, img.Data)
				}
			}
			if per["front"] != n || per["rear"] != n {
				t.Fatalf("per camera %v", per)
			}

			// The mcap library's indexed reader agrees.
			f, _ := os.Open(path)
			defer f.Close()
			lr, err := mcap.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			info, err := lr.Info()
			if err != nil {
				t.Fatal(err)
			}
			if info.Statistics.MessageCount != 2*n+1 || len(info.ChunkIndexes) != int(w.Stats().Chunks) || len(info.MetadataIndexes) != 1 {
				t.Fatalf("summary: %d messages, %d chunk indexes (wrote %d), %d metadata", info.Statistics.MessageCount, len(info.ChunkIndexes), w.Stats().Chunks, len(info.MetadataIndexes))
			}
			if info.Channels[1].Metadata["stamp_clock"] != "ntp:front" {
				t.Errorf("channel metadata %v", info.Channels[1].Metadata)
			}
			it, err := lr.Messages(mcap.UsingIndex(true), mcap.InOrder(mcap.LogTimeOrder))
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for {
				_, _, _, err := it.NextInto(nil)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				k++
			}
			if k != 2*n+1 {
				t.Fatalf("indexed reader read %d messages", k)
			}
		})
	}
}

// TestKilledWriter copies the file while the writer is still open (what a
// SIGKILL leaves) and reads the copy back: every flushed chunk is there.
func TestKilledWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.mcap")
	clk := &fakeClock{t: time.Unix(1000, 0)}
	w, err := Create(path, Options{FlushEvery: time.Second, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w)
	write := func(i int) {
		m := formats.Message{Topic: "/cam/image/compressed", FrameID: "cam", Stamp: int64(i+1) * 1e8, LogTime: int64(i+1) * 1e8,
			Payload: &formats.CompressedImage{Format: "jpeg", Data: jpegish(i)}}
		if err := rec.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 25 { // 10 frames a second of the fake clock
		write(i)
		clk.t = clk.t.Add(100 * time.Millisecond)
	}
	// The chunk opened by frame 0 is 1 s old when frame 10 is written:
	// frames 0..10 go out then, 11..21 with frame 21; 22..24 sit in the
	// open chunk. (A killed process may also lose the chunk the file
	// goroutine is writing; snap waits for it.)
	snap := func(name string) string {
		if err := w.barrier(); err != nil { // let the file goroutine catch up
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	msgs, r := readAll(t, snap("killed.mcap"))
	if _, trusted := r.Summary(); trusted {
		t.Fatal("a file without summary is trusted")
	}
	if len(msgs) != 22 {
		t.Fatalf("recovered %d messages, want 22 (two flushed chunks)", len(msgs))
	}
	for i, m := range msgs {
		if !bytes.Equal(m.Payload.(*formats.CompressedImage).Data, jpegish(i)) {
			t.Fatalf("message %d: %q", i, m.Payload.(*formats.CompressedImage).Data)
		}
	}
	// Tick with nothing new does not flush early ...
	if err := w.Tick(); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := readAll(t, snap("early.mcap")); len(msgs) != 22 {
		t.Fatalf("early tick flushed: %d", len(msgs))
	}
	// ... a due one does.
	clk.t = clk.t.Add(time.Second)
	if err := w.Tick(); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := readAll(t, snap("ticked.mcap")); len(msgs) != 25 {
		t.Fatalf("after a due tick: %d messages, want 25", len(msgs))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(0, 1, 1, nil); err == nil {
		t.Fatal("write after close accepted")
	}
}

func TestRecorderVideoKeyframes(t *testing.T) {
	sps, pps := []byte{0x67, 0x42, 0xc0, 0x1e}, []byte{0x68, 0xce, 0x3c, 0x80}
	idr, p := []byte{0x65, 0x88, 0x84}, []byte{0x41, 0x9a, 0x02}
	aus := [][]byte{
		annexb.Join(nil, idr),           // keyframe before any parameter set
		annexb.Join(nil, sps, pps, idr), // complete keyframe
		annexb.Join(nil, p),
		annexb.Join(nil, idr), // bare keyframe: gets SPS+PPS
		annexb.Join(nil, p),
	}
	path := filepath.Join(t.TempDir(), "v.mcap")
	w, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w)
	for i, au := range aus {
		ts := int64(i+1) * 40e6
		if err := rec.Write(formats.Message{Topic: "/cam/video", FrameID: "cam", Stamp: ts, LogTime: ts,
			Payload: &formats.CompressedVideo{Format: "h264", Data: au}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	if st.Keyframes != 3 || st.KeyframesFixed != 1 || st.KeyframesWithoutParams != 1 {
		t.Fatalf("stats %+v", st)
	}
	msgs, _ := readAll(t, path)
	want := []struct {
		data     []byte
		keyframe bool
	}{
		{aus[0], true}, {aus[1], true}, {aus[2], false}, {annexb.Join(nil, sps, pps, idr), true}, {aus[4], false},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages", len(msgs))
	}
	for i, m := range msgs {
		cv, ok := m.Payload.(*formats.CompressedVideo)
		if !ok || cv.Format != "h264" || cv.Keyframe != want[i].keyframe || !bytes.Equal(cv.Data, want[i].data) {
			t.Fatalf("AU %d: %T %+v", i, m.Payload, m.Payload)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir.mcap"), Options{}); err == nil {
		t.Error("create in a missing directory succeeded")
	}
	if _, err := New(io.Discard, Options{Compression: "brotli"}); err == nil {
		t.Error("unknown compression accepted")
	}
	w, err := New(io.Discard, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(0, 1, 1, nil); err == nil {
		t.Error("write to an unknown channel accepted")
	}
	rec := NewRecorder(w)
	if err := rec.Write(formats.Message{Topic: "/x", Payload: &formats.Generic{}}); err == nil {
		t.Error("payload without foxglove schema accepted")
	}
	if err := rec.Write(formats.Message{Topic: "/x", Payload: &formats.CompressedImage{Format: "jpeg"}}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Write(formats.Message{Topic: "/x", Payload: &formats.CompressedVideo{Format: "h264"}}); err == nil {
		t.Error("second schema on one topic accepted")
	}
	if err := rec.Write(formats.Message{Topic: "/v", LogTime: -1, Payload: &formats.CompressedVideo{Format: "h264"}}); err == nil {
		t.Error("negative log time accepted")
	}
	if err := rec.Write(formats.Message{Topic: "/w", Payload: &formats.CompressedVideo{Format: "av1"}}); err == nil {
		t.Error("unknown codec accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorIsSticky(t *testing.T) {
	w, err := New(&failWriter{n: 200}, Options{ChunkBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w)
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		werr = rec.Write(formats.Message{Topic: "/c", Stamp: int64(i), LogTime: int64(i),
			Payload: &formats.CompressedImage{Format: "jpeg", Data: make([]byte, 100)}})
	}
	if werr == nil {
		t.Fatal("no error from a full disk")
	}
	if err := rec.Write(formats.Message{Topic: "/c", Payload: &formats.CompressedImage{}}); err == nil {
		t.Fatal("write after failure accepted")
	}
	if err := w.Close(); err == nil {
		t.Fatal("close after failure returned nil")
	}
}

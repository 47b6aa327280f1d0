package mcapsource_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
)

// fixtureLog writes a short minimal-preset drive log.
func fixtureLog(t *testing.T) string {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 1500 * time.Millisecond
	cfg.Rig.SetCameraSize(160, 96)
	path := filepath.Join(t.TempDir(), "drive.mcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fixtures.Generate(context.Background(), cfg, f, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// logs returns the logs to read: the fixture, and the shared real and
// ROS 2 logs when RIGSYNC_SHARED_DATA names the shared data folder.
func logs(t *testing.T) []string {
	out := []string{fixtureLog(t)}
	if dir := os.Getenv("RIGSYNC_SHARED_DATA"); dir != "" {
		for _, g := range []string{"mcap/real/*.mcap", "mcap/ros2-cdr-typed/*.mcap"} {
			m, _ := filepath.Glob(filepath.Join(dir, g))
			out = append(out, m...)
		}
	}
	return out
}

// original returns the log's decodable messages as mcapread and decode give
// them, and how many could not be decoded.
func original(t *testing.T, path string, keep func(topic string) bool) ([]formats.Message, int) {
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
	var out []formats.Message
	bad := 0
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			return out, bad
		}
		if err != nil {
			t.Fatal(err)
		}
		if !keep(m.Channel.Topic) {
			continue
		}
		mm := m.Message
		mm.Data = append([]byte(nil), m.Data...)
		msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &mm)
		if err != nil {
			bad++
			continue
		}
		out = append(out, msg)
	}
}

// key is what identifies a message and its decoding.
func key(m formats.Message) string {
	return fmt.Sprintf("%s %d %d %d %s %s %d %T", m.Topic, m.LogTime, m.PublishTime, m.Sequence, m.FrameID, m.StampClock, m.Stamp, m.Payload)
}

// TestSameAsReader: on the fixture and the shared logs, a Source yields
// every decodable message that mcapread and decode give, in the same order
// and decoded the same, counts the others, and keeps io.EOF at the end.
func TestSameAsReader(t *testing.T) {
	ctx := context.Background()
	for _, path := range logs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want, bad := original(t, path, func(string) bool { return true })
			s, err := mcapsource.Open(path, mcapsource.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Name() != path {
				t.Errorf("Name %q, want the path", s.Name())
			}
			var got []formats.Message
			for {
				m, err := s.Next(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, m)
			}
			if len(got) != len(want) || len(want)+bad == 0 {
				t.Fatalf("%d messages, want %d (%d undecodable)", len(got), len(want), bad)
			}
			for i := range want {
				if key(got[i]) != key(want[i]) {
					t.Fatalf("message %d: %s, want %s", i, key(got[i]), key(want[i]))
				}
				if i > 0 && got[i].LogTime < got[i-1].LogTime {
					t.Fatalf("message %d at log time %d after %d", i, got[i].LogTime, got[i-1].LogTime)
				}
			}
			if st := s.Stats(); st.Messages != len(want) || st.Undecodable != bad || (bad > 0) != (st.FirstError != "") {
				t.Errorf("stats %+v, want %d messages, %d undecodable", st, len(want), bad)
			}
			if _, err := s.Next(ctx); !errors.Is(err, io.EOF) {
				t.Errorf("after the end: %v", err)
			}
		})
	}
}

// TestWant: Want keeps the channels it accepts, is asked once per
// channel, and leaves the order alone.
func TestWant(t *testing.T) {
	path := fixtureLog(t)
	keep := func(topic string) bool {
		return strings.HasPrefix(topic, "/imu") || strings.Contains(topic, "camera_info")
	}
	want, _ := original(t, path, keep)
	asked := map[string]int{}
	s, err := mcapsource.Open(path, mcapsource.Options{Name: "drive", Want: func(ch *mcapread.Channel) bool {
		asked[ch.Topic]++
		return keep(ch.Topic)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Name() != "drive" {
		t.Errorf("Name %q, want drive", s.Name())
	}
	var got []string
	for {
		m, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, key(m))
	}
	var wantKeys []string
	for _, m := range want {
		wantKeys = append(wantKeys, key(m))
	}
	if len(got) == 0 || !slices.Equal(got, wantKeys) {
		t.Fatalf("%d messages, want %d (> 0) the same", len(got), len(wantKeys))
	}
	if len(asked) < 3 {
		t.Errorf("asked about %v: want every channel", asked)
	}
	for topic, n := range asked {
		if n != 1 {
			t.Errorf("asked %d times about %s", n, topic)
		}
	}
}

// smallLog writes an MCAP log with a schemaless JSON channel /good (three
// messages) and a channel /bad in an encoding nothing decodes (two).
func smallLog(t testing.TB) []byte {
	var b bytes.Buffer
	w, err := mcap.NewWriter(&b, &mcap.WriterOptions{Chunked: true, ChunkSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{}))
	must(w.WriteChannel(&mcap.Channel{ID: 1, Topic: "/good", MessageEncoding: "json"}))
	must(w.WriteChannel(&mcap.Channel{ID: 2, Topic: "/bad", MessageEncoding: "smoke-signals"}))
	for i, m := range []struct {
		ch uint16
		t  uint64
	}{{1, 10}, {2, 15}, {1, 20}, {2, 20}, {1, 30}} {
		must(w.WriteMessage(&mcap.Message{ChannelID: m.ch, Sequence: uint32(i), LogTime: m.t, PublishTime: m.t, Data: fmt.Appendf(nil, `{"n":%d}`, i)}))
	}
	must(w.Close())
	return b.Bytes()
}

// TestUndecodable: messages that cannot be decoded are skipped and
// counted, the first error kept; the stream goes on.
func TestUndecodable(t *testing.T) {
	data := smallLog(t)
	r, err := mcapread.NewReader(bytes.NewReader(data), int64(len(data)), "small.mcap")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mcapsource.New(r, mcapsource.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		m, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s@%d", m.Topic, m.LogTime))
	}
	if want := "/good@10 /good@20 /good@30"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	st := s.Stats()
	if st.Messages != 3 || st.Undecodable != 2 || !strings.Contains(st.FirstError, "/bad") || !strings.Contains(st.FirstError, "smoke-signals") {
		t.Errorf("stats %+v", st)
	}
	if s.Name() != "small.mcap" || s.Reader() != r {
		t.Errorf("Name %q, Reader %p (want %p)", s.Name(), s.Reader(), r)
	}
}

// TestContext: a done context stops Next.
func TestContext(t *testing.T) {
	data := smallLog(t)
	r, err := mcapread.NewReader(bytes.NewReader(data), int64(len(data)), "small.mcap")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mcapsource.New(r, mcapsource.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestOpenOtherFormat: a file that is not MCAP is refused, naming it.
func TestOpenOtherFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("not a log"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mcapsource.Open(path, mcapsource.Options{}); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("got %v, want an error naming the file", err)
	}
}

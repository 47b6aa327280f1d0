package rosbag2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

// fixtureLog simulates the minimal rig (camera, LiDAR, IMU, /tf_static;
// ROS 2 CDR) and returns the MCAP log.
func fixtureLog(tb testing.TB, d time.Duration) []byte {
	tb.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration = d
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, nil, nil); err != nil {
		tb.Fatal(err)
	}
	return log.Bytes()
}

// toDB3 writes the messages of an MCAP log into a rosbag2 SQLite bag:
// same topics, types, definitions (the MCAP schemas), receive times and
// CDR bytes.
func toDB3(tb testing.TB, log []byte, dir string, opts rosbag2.WriterOptions) int {
	tb.Helper()
	r, err := mcapread.NewReader(bytes.NewReader(log), int64(len(log)), "fixture.mcap")
	if err != nil {
		tb.Fatal(err)
	}
	w, err := rosbag2.Create(dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	for _, ch := range r.Channels() {
		if err := w.AddTopic(ch.Topic, ch.Schema.Name, ch.Schema.Data); err != nil {
			tb.Fatal(err)
		}
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.Write(m.Channel.Topic, int64(m.LogTime), m.Data); err != nil {
			tb.Fatal(err)
		}
		n++
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

func readSource(tb testing.TB, src formats.Source) []formats.Message {
	tb.Helper()
	var out []formats.Message
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m)
	}
}

// TestFixtureMCAPvsDB3: the same drive written as MCAP (by the fixture
// generator) and as .db3 (by Writer, plain, per-message zstd, split) reads
// back to the same messages: topics, types, modalities, receive times,
// header stamps and clocks, frame ids and typed payloads.
func TestFixtureMCAPvsDB3(t *testing.T) {
	log := fixtureLog(t, 1500*time.Millisecond)
	mpath := filepath.Join(t.TempDir(), "drive.mcap")
	if err := os.WriteFile(mpath, log, 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := mcapsource.Open(mpath, mcapsource.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := readSource(t, ms)
	ms.Close()
	kinds := map[string]bool{}
	for _, m := range want {
		kinds[reflect.TypeOf(m.Payload).String()] = true
	}
	for _, k := range []string{"*formats.PointCloud", "*formats.CompressedImage", "*formats.IMU", "*formats.Transforms"} {
		if !kinds[k] {
			t.Fatalf("the fixture log has no %s payload (%v): the comparison would miss it", k, kinds)
		}
	}
	cases := []struct {
		name string
		opts rosbag2.WriterOptions
	}{
		{"plain", rosbag2.WriterOptions{ROSDistro: "jazzy"}},
		{"message zstd", rosbag2.WriterOptions{MessageCompression: true}},
		{"split", rosbag2.WriterOptions{SplitMessages: 50}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "drive")
			n := toDB3(t, log, dir, c.opts)
			b, err := rosbag2.Open(dir, rosbag2.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			for _, tp := range b.Topics() {
				if tp.Definition != rosbag2.DefinitionBag {
					t.Errorf("topic %s: definition from %s: %s", tp.Name, tp.Definition, tp.DefinitionNote)
				}
			}
			got := readSource(t, b)
			if len(got) != len(want) || len(got) != n || len(want) == 0 {
				t.Fatalf("%d messages from .db3, %d from MCAP, %d written", len(got), len(want), n)
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Topic != w.Topic || g.Type != w.Type || g.Modality != w.Modality || g.LogTime != w.LogTime ||
					g.Stamp != w.Stamp || g.StampClock != w.StampClock || g.FrameID != w.FrameID {
					t.Fatalf("message %d: %s %s %v %d %d %s %q, MCAP %s %s %v %d %d %s %q", i,
						g.Topic, g.Type, g.Modality, g.LogTime, g.Stamp, g.StampClock, g.FrameID,
						w.Topic, w.Type, w.Modality, w.LogTime, w.Stamp, w.StampClock, w.FrameID)
				}
				if !reflect.DeepEqual(g.Payload, w.Payload) {
					t.Fatalf("message %d (%s): payloads differ: %T vs %T", i, g.Topic, g.Payload, w.Payload)
				}
			}
			if st := b.Stats(); st.Undecodable != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// BenchmarkDB3VsMCAP reads the same fixture drive through formats.Source
// from MCAP (mcapsource) and from a .db3 (rosbag2), decoding every
// message, and reports db3/mcap: the budget is 1.5.
func BenchmarkDB3VsMCAP(b *testing.B) {
	log := fixtureLog(b, 5*time.Second)
	dir := b.TempDir()
	mpath := filepath.Join(dir, "drive.mcap")
	if err := os.WriteFile(mpath, log, 0o644); err != nil {
		b.Fatal(err)
	}
	bag := filepath.Join(dir, "drive")
	n := toDB3(b, log, bag, rosbag2.WriterOptions{})
	b.Logf("fixture drive: %d messages, %.1f MB of MCAP", n, float64(len(log))/1e6)
	b.ResetTimer()
	var tm, td time.Duration
	for range b.N {
		t0 := time.Now()
		ms, err := mcapsource.Open(mpath, mcapsource.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if k := len(readSource(b, ms)); k != n {
			b.Fatalf("%d of %d", k, n)
		}
		ms.Close()
		t1 := time.Now()
		rb, err := rosbag2.Open(bag, rosbag2.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if k := len(readSource(b, rb)); k != n {
			b.Fatalf("%d of %d", k, n)
		}
		rb.Close()
		tm += t1.Sub(t0)
		td += time.Since(t1)
	}
	b.ReportMetric(float64(tm.Milliseconds())/float64(b.N), "mcap-ms/op")
	b.ReportMetric(float64(td.Milliseconds())/float64(b.N), "db3-ms/op")
	b.ReportMetric(td.Seconds()/tm.Seconds(), "db3/mcap")
}

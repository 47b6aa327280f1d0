package rosbag1_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// TestWriterRoundTrip: bags written by the Writer (none and lz4, one and
// many chunks) read back with every message, in time order, with their
// connections (two on /chatter, one latched) and decode with stamps.
func TestWriterRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		compression string
		chunkSize   int
		chunks      int
	}{
		{rosbag1.CompressionNone, 0, 1},
		{rosbag1.CompressionNone, 2048, 22},
		{rosbag1.CompressionLZ4, 0, 1},
		{rosbag1.CompressionLZ4, 2048, 22},
	} {
		t.Run(tc.compression+"/"+strconv.Itoa(tc.chunkSize), func(t *testing.T) {
			const n = 300
			b := synthBag(t, tc.compression, tc.chunkSize, n)
			got, r, err := readAll(t, b, rosbag1.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Indexed() || len(r.Warnings()) != 0 {
				t.Errorf("indexed %v, warnings %v", r.Indexed(), r.Warnings())
			}
			if cs := r.Chunks(); len(cs) != tc.chunks || cs[0].Compression != tc.compression || cs[0].Offset != 4117 {
				t.Errorf("chunks %+v, want %d %s chunks from offset 4117", cs[:min(2, len(cs))], tc.chunks, tc.compression)
			}
			if len(got) != 2*n {
				t.Fatalf("%d messages, want %d", len(got), 2*n)
			}
			for i, m := range got {
				k := i / 2
				want := rec{"/points", 0, 1700000000e9 + int64(k)*10e6, string(rosPoint(uint32(k), 1700000000e9+int64(k)*10e6-2e6, "lidar", float64(k), -float64(k), 0.5))}
				if i%2 == 1 {
					want = rec{"/chatter", uint32(1 + k%2), want.t + 1e6, string(rosString("hello " + strconv.Itoa(k)))}
				}
				if m != want {
					t.Fatalf("message %d: %+v, want %+v", i, m, want)
				}
			}
			tops := r.Topics()
			if len(tops) != 2 || tops[0].Name != "/chatter" || tops[0].Count != n || len(tops[0].Connections) != 2 ||
				tops[1].Name != "/points" || tops[1].Count != n || tops[1].Type != "geometry_msgs/PointStamped" {
				t.Errorf("topics %+v", tops)
			}
			c := tops[0].Connections
			if c[0].CallerID != "/node_a" || c[1].CallerID != "/node_b" || c[0].Latching || !c[1].Latching ||
				c[1].MD5Sum != stringMD5 || c[1].MessageDefinition != stringDef || c[1].Header["topic"] != "/chatter" {
				t.Errorf("connections %+v %+v", *c[0], *c[1])
			}
			// Decoded through the Source: the stamp and frame of the header.
			s, err := rosbag1.NewSource(r, rosbag1.SourceOptions{Read: rosbag1.Options{Topics: []string{"/points"}}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := s.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if m.Topic != "/points" || m.FrameID != "lidar" || m.Stamp != 1700000000e9-2e6 || m.LogTime != 1700000000e9 ||
				m.StampClock == formats.ClockLog || m.Type != "geometry_msgs/PointStamped" {
				t.Errorf("decoded %+v", m)
			}
		})
	}
}

// TestWriterLZ4Frame: lz4 chunks are LZ4 frames as roslz4 writes them:
// magic 04 22 4D 18, FLG 0x64 (independent blocks, content checksum, no
// content size), BD 0x60 (1 MiB blocks), header checksum 0x85.
func TestWriterLZ4Frame(t *testing.T) {
	b := synthBag(t, rosbag1.CompressionLZ4, 0, 10)
	if !bytes.Contains(b, []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x60, 0x85}) {
		t.Errorf("no roslz4 frame header in the bag")
	}
}

// TestWriterRewritesRealBag: a real bag's messages (example.bag: 12
// connections, 2 on /tf) written again read back identical, in none and
// lz4.
func TestWriterRewritesRealBag(t *testing.T) {
	path := filepath.Join(shareddata.Dir(t, "rosbag", "ros1", "rosbag.js"), "example.bag")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := readAll(t, orig, rosbag1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, comp := range []string{rosbag1.CompressionNone, rosbag1.CompressionLZ4} {
		b := rewrite(t, orig, comp, 64<<10)
		got, r, err := readAll(t, b, rosbag1.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(r.Connections()) != 12 {
			t.Fatalf("%s: %d messages, %d connections; want %d, 12", comp, len(got), len(r.Connections()), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: message %d differs: %+v vs %+v", comp, i, got[i], want[i])
			}
		}
	}
}

// rewrite reads the bag b and writes its connections and messages (in
// time order) into a new bag.
func rewrite(t testing.TB, b []byte, compression string, chunkSize int) []byte {
	t.Helper()
	r, err := rosbag1.NewReader(bytes.NewReader(b), int64(len(b)), "in.bag")
	if err != nil {
		t.Fatal(err)
	}
	var f memFile
	w, err := rosbag1.NewWriter(&f, rosbag1.WriterOptions{Compression: compression, ChunkSize: chunkSize})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[uint32]uint32{}
	for _, c := range r.Connections() {
		id, err := w.AddConnection(*c)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.ID] = id
	}
	it, err := r.Messages(rosbag1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteMessage(ids[m.Conn.ID], m.LogTime, m.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return f.b
}

// TestWriterPythonRosbag cross-checks the Writer's bags with Debian's
// python3-rosbag (development only: it runs when RIGSYNC_PYROSBAG=1 and
// python3 can import rosbag).
func TestWriterPythonRosbag(t *testing.T) {
	if os.Getenv("RIGSYNC_PYROSBAG") != "1" {
		t.Skip("set RIGSYNC_PYROSBAG=1 (with python3-rosbag installed) to cross-check with python rosbag")
	}
	py := ""
	for _, p := range []string{os.Getenv("RIGSYNC_PYTHON"), "python3", "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import rosbag").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("no python3 that imports rosbag (set RIGSYNC_PYTHON)")
	}
	const script = `
import sys, rosbag
b = rosbag.Bag(sys.argv[1])
n = 0
for topic, msg, t in b.read_messages():
    n += 1
    last = (topic, t.to_nsec(), getattr(msg, 'data', None) or msg.header.frame_id)
info = b.get_type_and_topic_info()
print(n, b.get_message_count(), len(b._connections), sorted((k, v.message_count, v.connections) for k, v in info.topics.items()), last)
`
	for _, comp := range []string{rosbag1.CompressionNone, rosbag1.CompressionLZ4} {
		path := filepath.Join(t.TempDir(), comp+".bag")
		if err := os.WriteFile(path, synthBag(t, comp, 2048, 300), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", comp, err, out)
		}
		want := "600 600 3 [('/chatter', 300, 2), ('/points', 300, 1)] ('/chatter', 1700000002991000000, 'hello 299')"
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: python rosbag says\n%s\nwant\n%s", comp, got, want)
		}
	}
	// A synthetic drive converted by FromMCAP: every message deserializes,
	// and genpy's md5sum of each generated class equals the bag's.
	const drive = `
import sys, rosbag
b = rosbag.Bag(sys.argv[1])
md5 = dict((c.topic, c.md5sum) for c in b._connections.values())
n, bad, topics = 0, 0, set()
for topic, msg, t in b.read_messages():
    n += 1
    topics.add(topic)
    bad += msg._md5sum != md5[topic]
print(n, len(topics), bad)
`
	_, bag := fixtureDrive(t, "urban", time.Second, true, rosbag1.CompressionLZ4)
	out, err := exec.Command(py, "-c", drive, bag).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "491 22 0" {
		t.Errorf("python rosbag on the converted drive: %s, want 491 messages on 22 topics, 0 md5 mismatches", got)
	}
}

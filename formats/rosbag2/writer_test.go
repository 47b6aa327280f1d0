package rosbag2

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// testMsg is one message written by writeTestBag.
type testMsg struct {
	topic   string
	logTime int64
	stamp   int64
	data    []byte
}

// writeTestBag writes n IMU messages and n/2 String messages (no stored
// definition for String, so the bundled one decodes it) into dir.
func writeTestBag(t testing.TB, dir string, n int, opts WriterOptions) []testMsg {
	t.Helper()
	w, err := Create(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, imuDef, err := rosenc.Schema(rosenc.TypeImu)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddTopic("/imu", rosenc.TypeImu, imuDef); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTopic("/chatter", "std_msgs/msg/String", nil); err != nil {
		t.Fatal(err)
	}
	var out []testMsg
	t0 := int64(1_700_000_000_000_000_000)
	for i := range n {
		lt := t0 + int64(i)*5_000_000
		stamp := lt - 1_000_000
		imu := &formats.IMU{Orientation: quat.Number{Real: 1}, AngularVelocity: r3.Vec{X: float64(i) * 0.01}, LinearAcceleration: r3.Vec{Z: 9.81}}
		data, err := rosenc.Marshal(rosenc.TypeImu, stamp, "imu_link", imu)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write("/imu", lt, data); err != nil {
			t.Fatal(err)
		}
		out = append(out, testMsg{"/imu", lt, stamp, data})
		if i%2 == 0 {
			s := fmt.Sprintf("hello %d", i)
			// CDR std_msgs/String: header, u32 length with NUL, bytes, NUL.
			data := append([]byte{0, 1, 0, 0, byte(len(s) + 1), 0, 0, 0}, s...)
			data = append(data, 0)
			if err := w.Write("/chatter", lt, data); err != nil {
				t.Fatal(err)
			}
			out = append(out, testMsg{"/chatter", lt, lt, data})
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriterRoundTrip(t *testing.T) {
	cases := []struct {
		name      string
		opts      WriterOptions
		wantFiles int
	}{
		{"plain", WriterOptions{ROSDistro: "jazzy"}, 1},
		{"message zstd", WriterOptions{MessageCompression: true}, 1},
		{"split", WriterOptions{SplitMessages: 40}, 4},
		{"split message zstd", WriterOptions{SplitMessages: 11, MessageCompression: true}, 14},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "bag")
			want := writeTestBag(t, dir, 100, c.opts)
			b, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if got := len(b.Files()); got != c.wantFiles {
				t.Errorf("%d files, want %d", got, c.wantFiles)
			}
			m := b.Metadata()
			if m == nil || m.Version != 8 || m.MessageCount != int64(len(want)) || len(m.Files) != c.wantFiles || m.ROSDistro != c.opts.ROSDistro {
				t.Fatalf("metadata %+v", m)
			}
			for _, f := range b.Files() {
				if f.SchemaVersion != 4 || f.MessageCompressed != c.opts.MessageCompression || f.WAL {
					t.Errorf("file %+v", f)
				}
			}
			topics := b.Topics()
			if len(topics) != 2 || topics[0].Definition != DefinitionBag || topics[1].Definition != DefinitionBundled || topics[0].Count != 100 || topics[1].Count != 50 {
				t.Errorf("topics %+v", topics)
			}
			var got []formats.Message
			for {
				msg, err := b.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, msg)
			}
			if len(got) != len(want) {
				t.Fatalf("%d messages, want %d (stats %+v)", len(got), len(want), b.Stats())
			}
			for i, w := range want {
				g := got[i]
				if g.Topic != w.topic || g.LogTime != w.logTime || g.Stamp != w.stamp {
					t.Fatalf("message %d: %s %d %d, want %s %d %d", i, g.Topic, g.LogTime, g.Stamp, w.topic, w.logTime, w.stamp)
				}
				if w.topic == "/imu" {
					imu, ok := g.Payload.(*formats.IMU)
					if !ok || g.FrameID != "imu_link" || g.Modality != formats.IMUModality || imu.LinearAcceleration.Z != 9.81 {
						t.Fatalf("message %d: %T %q %v", i, g.Payload, g.FrameID, g.Modality)
					}
				}
			}
		})
	}
}

// TestWALRecovered: a recorder killed with rows still in the write-ahead
// log; the rows are read from a copy and the input is left as it was.
func TestWALRecovered(t *testing.T) {
	src := filepath.Join(t.TempDir(), "live")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	uri, _ := sqliteURI(filepath.Join(src, "crash_0.db3"), "rwc", false)
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, s := range []string{`PRAGMA journal_mode=WAL`, `PRAGMA wal_autocheckpoint=0`, schema4,
		`INSERT INTO schema VALUES (4, 'jazzy')`,
		`INSERT INTO topics VALUES (1, '/chatter', 'std_msgs/msg/String', 'cdr', '', '')`} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	const n = 50
	for i := range n {
		data := []byte{0, 1, 0, 0, 2, 0, 0, 0, byte('a' + i%26), 0}
		if _, err := db.Exec(`INSERT INTO messages (topic_id, timestamp, data) VALUES (1, ?, ?)`, 1000+i, data); err != nil {
			t.Fatal(err)
		}
	}
	// The "crash": the files as they are while the recorder still runs.
	bag := filepath.Join(t.TempDir(), "crash")
	if err := os.Mkdir(bag, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(filepath.Join(src, "crash_0.db3"+suffix), filepath.Join(bag, "crash_0.db3"+suffix)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if st, err := os.Stat(filepath.Join(bag, "crash_0.db3-wal")); err != nil || st.Size() == 0 {
		t.Fatalf("no WAL with rows to recover: %v", err)
	}
	before := snapshot(t, bag)

	// Immutable alone misses the rows in the WAL: the test exercises it.
	imm, _ := sqliteURI(filepath.Join(bag, "crash_0.db3"), "ro", true)
	if db, err := sql.Open("sqlite", imm); err == nil {
		var k int
		err := db.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&k)
		db.Close()
		if err == nil && k == n {
			t.Fatalf("the database read immutable already has all %d rows: no WAL to recover", n)
		}
	}
	b, err := Open(bag, Options{})
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for {
		_, err := b.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	files := b.Files()
	ws := b.Warnings()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if count != n || !files[0].RecoveredWAL || !files[0].WAL {
		t.Errorf("%d messages (want %d), file %+v", count, n, files[0])
	}
	if !slices.ContainsFunc(ws, func(w Warning) bool { return strings.Contains(w.Msg, "write-ahead log") }) {
		t.Errorf("no warning about the WAL: %v", ws)
	}
	if after := snapshot(t, bag); !maps2Equal(before, after) {
		t.Errorf("input folder changed:\nbefore %v\nafter  %v", before, after)
	}
}

// snapshot maps every file under dir to its size and SHA-256.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = "dir"
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = fmt.Sprintf("%d %x", len(data), sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// copyTree copies the folder src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
}

package rosbag2

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/rigsync/rigsync/fixtures/shareddata"
)

func rawAll(t *testing.T, path string, opts Options) []RawMessage {
	t.Helper()
	b, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out []RawMessage
	for {
		m, err := b.NextRaw(context.Background())
		if err != nil {
			return out
		}
		out = append(out, m)
	}
}

// sortRaw orders messages by log time, topic and bytes, so that two
// storages' orders of equal times compare.
func sortRaw(ms []RawMessage) {
	slices.SortFunc(ms, func(a, b RawMessage) int {
		if a.LogTime != b.LogTime {
			if a.LogTime < b.LogTime {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return bytes.Compare(a.Data, b.Data)
	})
}

// TestTwins: the SQLite and MCAP storage of the same recordings (SOURCES.md:
// cdr_test, talker, wbag, test_bag_for_seek) give the same topics, log
// times and byte-identical CDR payloads.
func TestTwins(t *testing.T) {
	root := shareddata.Dir(t, "rosbag", "rosbag2")
	for _, name := range []string{"cdr_test", "talker", "wbag", "test_bag_for_seek"} {
		t.Run(name, func(t *testing.T) {
			a := rawAll(t, filepath.Join(root, "sqlite3", name), Options{})
			b := rawAll(t, filepath.Join(root, "mcap", name), Options{})
			if len(a) != len(b) || len(a) == 0 {
				t.Fatalf("%d messages from SQLite, %d from MCAP", len(a), len(b))
			}
			sortRaw(a)
			sortRaw(b)
			for i := range a {
				if a[i].Topic != b[i].Topic || a[i].LogTime != b[i].LogTime || !bytes.Equal(a[i].Data, b[i].Data) {
					t.Fatalf("message %d: %s %d vs %s %d", i, a[i].Topic, a[i].LogTime, b[i].Topic, b[i].LogTime)
				}
			}
		})
	}
}

// TestSingleFiles: a storage file given alone (no metadata.yaml) is read
// by its content: a .mcap, a .db3.zstd, a zstd-compressed .mcap.
func TestSingleFiles(t *testing.T) {
	root := shareddata.Dir(t, "rosbag", "rosbag2")
	talker := filepath.Join(root, "mcap", "talker", "talker.mcap")
	data, err := os.ReadFile(talker)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	zpath := filepath.Join(t.TempDir(), "talker_0.mcap.zstd")
	if err := os.WriteFile(zpath, enc.EncodeAll(data, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	// A misleading name: content decides.
	odd := filepath.Join(t.TempDir(), "talker.db3")
	if err := os.WriteFile(odd, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path       string
		storage    Storage
		n          int
		compressed bool
	}{
		{talker, MCAP, 20, false},
		{zpath, MCAP, 20, true},
		{odd, MCAP, 20, false},
		{filepath.Join(root, "sqlite3", "reindex_test_bags", "file_compression", "file_compression_0.db3.zstd"), SQLite, 249, true},
		{filepath.Join(root, "sqlite3", "topics_and_services.db3"), SQLite, 13, false},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			b, err := Open(c.path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if b.Storage() != c.storage || b.Metadata() != nil || b.Files()[0].FileCompressed != c.compressed {
				t.Errorf("storage %s, metadata %v, file %+v", b.Storage(), b.Metadata(), b.Files()[0])
			}
			if got := rawAll(t, c.path, Options{}); len(got) != c.n {
				t.Errorf("%d messages, want %d", len(got), c.n)
			}
		})
	}
}

// TestWant: Options.Want drops topics before they are read, in both
// storages.
func TestWant(t *testing.T) {
	root := shareddata.Dir(t, "rosbag", "rosbag2")
	for _, st := range []string{"sqlite3", "mcap"} {
		t.Run(st, func(t *testing.T) {
			ms := rawAll(t, filepath.Join(root, st, "wbag"), Options{Want: func(tp *Topic) bool { return tp.Name == "CCC" || tp.Name == "HHH" }})
			n := map[string]int{}
			for _, m := range ms {
				n[m.Topic]++
			}
			all := map[string]int{}
			for _, m := range rawAll(t, filepath.Join(root, st, "wbag"), Options{}) {
				all[m.Topic]++
			}
			if len(n) != 2 || n["CCC"] != all["CCC"] || n["HHH"] != all["HHH"] || n["CCC"] == 0 {
				t.Errorf("topics read: %v of %v", n, all)
			}
		})
	}
}

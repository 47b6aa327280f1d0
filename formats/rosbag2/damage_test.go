package rosbag2

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures/shareddata"
)

// TestInputUntouched reads every rosbag2 bag of a copy of the shared
// folder (WAL-mode files with -shm and empty -wal beside them among them)
// and checks that the copy is byte-identical afterwards: no -wal or -shm
// created, nothing written.
func TestInputUntouched(t *testing.T) {
	_, bags := loadExpected(t)
	src := shareddata.Dir(t, "rosbag", "rosbag2")
	dst := filepath.Join(t.TempDir(), "rosbag2")
	copyTree(t, src, dst)
	before := snapshot(t, dst)
	for key := range bags {
		p := filepath.Join(dst, strings.TrimPrefix(key, "rosbag2/"))
		b, err := Open(p, Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for {
			_, err := b.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	after := snapshot(t, dst)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed: %s -> %s", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s created beside the input", k)
		}
	}
}

// TestCloseRemovesTemp: a FILE-compressed bag is decompressed into
// TempDir and the files go on Close.
func TestCloseRemovesTemp(t *testing.T) {
	src := shareddata.Dir(t, "rosbag", "rosbag2", "sqlite3", "reindex_test_bags", "file_compression")
	tmp := t.TempDir()
	b, err := Open(src, Options{TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) == 0 {
		t.Fatal("nothing decompressed into TempDir")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left in TempDir after Close: %v", ents)
	}
}

// readDamaged opens and reads a damaged bag, failing the test on a hang.
// It returns the open error, the messages read and the warnings.
func readDamaged(t *testing.T, path string) (error, int, []Warning) {
	t.Helper()
	type result struct {
		err error
		n   int
		ws  []Warning
	}
	done := make(chan result, 1)
	go func() {
		b, err := Open(path, Options{TempDir: t.TempDir()})
		if err != nil {
			done <- result{err: err}
			return
		}
		defer b.Close()
		n := 0
		for {
			_, err := b.NextRaw(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				done <- result{err: err, n: n, ws: b.Warnings()}
				return
			}
			n++
		}
		done <- result{n: n, ws: b.Warnings()}
	}()
	select {
	case r := <-done:
		return r.err, r.n, r.ws
	case <-time.After(60 * time.Second):
		t.Fatal("reading a damaged bag hung")
	}
	return nil, 0, nil
}

// TestDamaged: truncated databases, corrupt or cut zstd, missing split
// files, broken metadata give a clear error naming the file, or the
// messages that could be read and a warning saying what was lost; never a
// panic or a hang.
func TestDamaged(t *testing.T) {
	root := shareddata.Dir(t, "rosbag", "rosbag2", "sqlite3")
	cases := []struct {
		name string
		// make builds the damaged input in dir from a copy of the shared
		// folder and returns the path to open.
		make func(t *testing.T, dir string) string
		// wantErr: Open fails with an error containing it; else at most
		// maxN messages are read and a warning contains wantWarn.
		wantErr  string
		maxN     int
		minN     int
		wantWarn string
	}{
		{
			name: "db3 cut in half",
			make: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "test_bag_sqlite3.db3")
				cut(t, filepath.Join(root, "test_bag_sqlite3", "test_bag_sqlite3.db3"), p, 0.5)
				return p
			},
			wantErr: "test_bag_sqlite3.db3",
		},
		{
			name: "db3 cut to its header",
			make: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "x_0.db3")
				cut(t, filepath.Join(root, "wbag", "wbag_0.db3"), p, 0.01)
				return p
			},
			wantErr: "x_0.db3",
		},
		{
			name: "split bag with a file missing",
			make: func(t *testing.T, dir string) string {
				copyTree(t, filepath.Join(root, "wbag"), filepath.Join(dir, "wbag"))
				os.Remove(filepath.Join(dir, "wbag", "wbag_2.db3"))
				return filepath.Join(dir, "wbag")
			},
			minN: 6074 - 1240, maxN: 6074 - 1240, wantWarn: "wbag_2.db3",
		},
		{
			name: "split bag with a file cut",
			make: func(t *testing.T, dir string) string {
				copyTree(t, filepath.Join(root, "wbag"), filepath.Join(dir, "wbag"))
				p := filepath.Join(dir, "wbag", "wbag_3.db3")
				cut(t, p, p, 0.3)
				return filepath.Join(dir, "wbag")
			},
			minN: 6074 - 1240, maxN: 6074 - 1, wantWarn: "wbag_3.db3",
		},
		{
			name: "zstd file cut",
			make: func(t *testing.T, dir string) string {
				d := filepath.Join(dir, "fc")
				copyTree(t, filepath.Join(root, "reindex_test_bags", "file_compression"), d)
				p := filepath.Join(d, "file_compression_1.db3.zstd")
				cut(t, p, p, 0.5)
				return d
			},
			minN: 249 + 240 + 44, maxN: 775 - 1, wantWarn: "file_compression_1.db3.zstd",
		},
		{
			name: "zstd file corrupt",
			make: func(t *testing.T, dir string) string {
				d := filepath.Join(dir, "fc")
				copyTree(t, filepath.Join(root, "reindex_test_bags", "file_compression"), d)
				p := filepath.Join(d, "file_compression_0.db3.zstd")
				data, _ := os.ReadFile(p)
				for i := 20; i < len(data); i += 7 {
					data[i] ^= 0x5a
				}
				os.WriteFile(p, data, 0o644)
				return d
			},
			minN: 242 + 240 + 44, maxN: 775, wantWarn: "file_compression_0.db3.zstd",
		},
		{
			name: "single zstd file corrupt",
			make: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "one.db3.zstd")
				data, _ := os.ReadFile(filepath.Join(root, "reindex_test_bags", "file_compression", "file_compression_3.db3.zstd"))
				data = append(data[:4:4], make([]byte, 100)...)
				os.WriteFile(p, data, 0o644)
				return p
			},
			wantErr: "one.db3.zstd",
		},
		{
			name: "zstd message blobs without metadata",
			make: func(t *testing.T, dir string) string {
				d := filepath.Join(dir, "mc")
				copyTree(t, filepath.Join(root, "reindex_test_bags", "message_compression"), d)
				return d
			},
			minN: 1127, maxN: 1127, wantWarn: "zstd frames though no metadata says so",
		},
		{
			name: "metadata.yaml garbage",
			make: func(t *testing.T, dir string) string {
				d := filepath.Join(dir, "talker")
				copyTree(t, filepath.Join(root, "talker"), d)
				os.WriteFile(filepath.Join(d, "metadata.yaml"), []byte("rosbag2_bagfile_information: [1, 2\n"), 0o644)
				return d
			},
			wantErr: "metadata.yaml",
		},
		{
			name: "metadata.yaml lists only missing files",
			make: func(t *testing.T, dir string) string {
				d := filepath.Join(dir, "talker")
				copyTree(t, filepath.Join(root, "talker"), d)
				os.Remove(filepath.Join(d, "talker.db3"))
				return d
			},
			wantErr: "talker.db3",
		},
		{
			name: "empty file",
			make: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "empty.db3")
				os.WriteFile(p, nil, 0o644)
				return p
			},
			wantErr: "empty.db3",
		},
		{
			name: "missing path",
			make: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "nothing_here")
			},
			wantErr: "nothing_here",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.make(t, t.TempDir())
			err, n, ws := readDamaged(t, path)
			t.Logf("error: %v; %d messages; warnings: %v", err, n, ws)
			if c.wantErr != "" {
				if err == nil {
					t.Fatalf("no error (%d messages, warnings %v)", n, ws)
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error %q does not name %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if n < c.minN || n > c.maxN {
				t.Errorf("%d messages, want %d..%d", n, c.minN, c.maxN)
			}
			found := false
			for _, w := range ws {
				found = found || strings.Contains(w.String(), c.wantWarn)
			}
			if !found {
				t.Errorf("no warning mentions %q: %v", c.wantWarn, ws)
			}
		})
	}
}

// cut writes the first frac of src to dst.
func cut(t *testing.T, src, dst string, frac float64) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data[:int(float64(len(data))*frac)], 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptMessageBlob: a MESSAGE-compressed blob that is not a valid
// zstd frame is skipped and counted, naming file, row and topic.
func TestCorruptMessageBlob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bag")
	want := writeTestBag(t, dir, 20, WriterOptions{MessageCompression: true})
	uri, _ := sqliteURI(filepath.Join(dir, "bag_0.db3"), "rw", false)
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE messages SET data = X'28B52FFD00FFFFFF' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	for {
		_, err := b.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	st := b.Stats()
	if n != len(want)-1 || st.Undecodable != 1 || !strings.Contains(st.FirstError, "bag_0.db3: row 3: topic /imu: zstd") {
		t.Errorf("%d messages of %d, stats %+v", n, len(want), st)
	}
}

// TestCutDatabaseSalvage: a .db3 cut short yields the rows on the pages
// that remain, each identical to the intact file's row, in log-time order,
// and says so.
func TestCutDatabaseSalvage(t *testing.T) {
	src := filepath.Join(shareddata.Dir(t, "rosbag", "rosbag2", "sqlite3", "wbag"), "wbag_0.db3")
	intact := map[int64]RawMessage{}
	b, err := Open(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := b.NextRaw(context.Background())
		if err != nil {
			break
		}
		intact[m.Row] = m
	}
	b.Close()
	for _, c := range []struct {
		frac float64
		min  int
	}{{0.3, 100}, {0.5, 400}, {0.8, 900}, {0.97, 1000}} {
		t.Run(fmt.Sprint(c.frac), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "wbag_0.db3")
			cut(t, src, p, c.frac)
			err, n, ws := readDamaged(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if n < c.min || n >= len(intact) {
				t.Errorf("%d of %d messages salvaged, want %d or more", n, len(intact), c.min)
			}
			if !slices.ContainsFunc(ws, func(w Warning) bool { return strings.Contains(w.Msg, "cut short") }) {
				t.Errorf("no warning says the file is cut: %v", ws)
			}
			b, err := Open(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			last := int64(0)
			for {
				m, err := b.NextRaw(context.Background())
				if err != nil {
					break
				}
				w, ok := intact[m.Row]
				if !ok || w.Topic != m.Topic || w.LogTime != m.LogTime || !bytes.Equal(w.Data, m.Data) || m.LogTime < last {
					t.Fatalf("row %d: %s %d %q differs from the intact file's %s %d %q", m.Row, m.Topic, m.LogTime, m.Data, w.Topic, w.LogTime, w.Data)
				}
				last = m.LogTime
			}
		})
	}
}

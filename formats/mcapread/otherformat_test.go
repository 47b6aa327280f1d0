package mcapread

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
)

// fakeLogs writes tiny stand-ins of the formats DetectFormat knows: only
// their first bytes or their folder layout matter.
func fakeLogs(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel string, data []byte) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return map[string]string{
		"bag":         write("drive.bag", []byte("#ROSBAG V2.0\nE\x00\x00\x00 rest of a bag header")),
		"bag12":       write("old.bag", []byte("#ROSRECORD V1.2\n")),
		"db3":         write("drive_0.db3", append([]byte("SQLite format 3\x00"), make([]byte, 84)...)),
		"db3zstd":     write("drive_0.db3.zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0}),
		"mcapzstd":    write("drive_0.mcap.zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0}),
		"sqliteDir":   filepath.Dir(write("sqlite_bag/metadata.yaml", []byte("rosbag2_bagfile_information:\n  version: 5\n  storage_identifier: sqlite3\n"))),
		"mcapDir":     filepath.Dir(write("mcap_bag/metadata.yaml", []byte("rosbag2_bagfile_information:\n  version: 8\n  storage_identifier: mcap\n"))),
		"mcapDirFile": write("mcap_bag/mcap_bag_0.mcap", []byte("\x89MCAP0\r\n")),
		"plainDir":    filepath.Dir(write("plain/readme.txt", []byte("x"))),
		"text":        write("notes.txt", []byte("hello")),
		"mcap":        write("real.mcap", []byte("\x89MCAP0\r\n")),
	}
}

func TestDetectFormat(t *testing.T) {
	f := fakeLogs(t)
	for _, tc := range []struct {
		file   string
		format string // "" = not recognised
		hint   string
	}{
		{"bag", "ROS 1 bag (format 2.0)", "mcap convert"},
		{"bag12", "ROS 1 bag (format 1.2", "rosbag fix"},
		{"db3", "rosbag2 SQLite database (.db3)", "convert"},
		{"db3zstd", "zstd-compressed rosbag2 SQLite database", "zstd -d"},
		{"mcapzstd", "zstd-compressed MCAP file", "zstd -d"},
		{"sqliteDir", "rosbag2 folder (SQLite storage)", "convert"},
		{"mcapDir", "rosbag2 folder (MCAP storage)", f["mcapDirFile"]},
		{"plainDir", "folder", "the log file itself"},
		{"text", "", ""},
		{"mcap", "", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			fe := DetectFormat(f[tc.file])
			if tc.format == "" {
				if fe != nil {
					t.Fatalf("recognised as %q", fe.Format)
				}
				return
			}
			if fe == nil {
				t.Fatalf("not recognised, want %q", tc.format)
			}
			if !strings.HasPrefix(fe.Format, tc.format) || !strings.Contains(fe.Hint, tc.hint) {
				t.Errorf("format %q hint %q; want %q, a hint with %q", fe.Format, fe.Hint, tc.format, tc.hint)
			}
			// Open gives the same error, naming the path and the format.
			_, err := Open(f[tc.file])
			var got *FormatError
			if !errors.As(err, &got) || !strings.Contains(err.Error(), f[tc.file]) || !strings.Contains(err.Error(), tc.format) {
				t.Errorf("Open: %v", err)
			}
		})
	}
	if fe := DetectFormat(filepath.Join(t.TempDir(), "missing.bag")); fe != nil {
		t.Errorf("missing file recognised as %q", fe.Format)
	}
}

// The real bags of the shared data: every ROS 1 bag, rosbag2 .db3 and
// rosbag2 folder is named as such.
func TestDetectFormatReal(t *testing.T) {
	root := shareddata.Dir(t, "rosbag")
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		want := ""
		switch {
		case d.IsDir():
			if _, err := os.Stat(filepath.Join(p, "metadata.yaml")); err == nil {
				want = "rosbag2 folder"
			}
		case strings.HasSuffix(p, ".bag"):
			want = "ROS 1 bag (format 2.0)"
		case strings.HasSuffix(p, ".db3"):
			want = "rosbag2 SQLite database"
		case strings.HasSuffix(p, ".db3.zstd"):
			want = "zstd-compressed rosbag2 SQLite database"
		}
		if want == "" {
			return nil
		}
		n++
		_, oerr := Open(p)
		var fe *FormatError
		if !errors.As(oerr, &fe) || !strings.HasPrefix(fe.Format, want) {
			t.Errorf("%s: Open error %v, want a %s", p, oerr, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d bags found under %s", n, root)
	}
	t.Logf("%d bags and rosbag2 folders named", n)
}

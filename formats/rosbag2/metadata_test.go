package rosbag2

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseMetadata(t *testing.T) {
	cases := []struct {
		name string
		text string
		want func(m *Metadata) bool
		note string // a note that must be given
		err  string
	}{
		{name: "v1 has no compression keys", text: metadataSeeds[0], want: func(m *Metadata) bool {
			return m.Version == 1 && m.Duration == 5 && m.Start == 10 && m.MessageCount == 2 && m.CompressionMode == "" &&
				len(m.Topics) == 1 && m.Topics[0].Type == "std_msgs/String" && m.Topics[0].MessageCount == 2
		}},
		{name: "v4 mode compared case-insensitively, QoS string", text: metadataSeeds[1], want: func(m *Metadata) bool {
			return m.CompressionMode == "FILE" && m.fileCompressed() && m.CompressionFormat == "zstd" &&
				m.Topics[0].OfferedQoS == "- history: 3\n  depth: 0\n"
		}},
		{name: "v5 files", text: metadataSeeds[2], want: func(m *Metadata) bool {
			return len(m.Files) == 1 && m.Files[0] == MetadataFile{Path: "a_0.mcap", Start: 1, Duration: 2, MessageCount: 3} &&
				slices.Equal(m.RelativeFilePaths, []string{"a_0.mcap", "a_1.mcap"})
		}},
		{name: "v8 null custom_data, hash, MESSAGE", text: metadataSeeds[3], want: func(m *Metadata) bool {
			return m.CustomData == nil && m.ROSDistro == "" && m.messageCompressed() && m.Topics[0].TypeDescriptionHash == "RIHS01_00"
		}},
		{name: "v9 QoS list, unknown key", text: metadataSeeds[4], note: "new_key_of_v10", want: func(m *Metadata) bool {
			return strings.Contains(m.Topics[0].OfferedQoS, "reliability: reliable")
		}},
		{name: "field before its version is not read", text: "rosbag2_bagfile_information:\n  version: 2\n  compression_mode: MESSAGE\n  ros_distro: x\n",
			want: func(m *Metadata) bool { return m.CompressionMode == "" && m.ROSDistro == "" }},
		{name: "newer version", text: "rosbag2_bagfile_information:\n  version: 12\n", note: "newer than 9",
			want: func(m *Metadata) bool { return m.Version == 12 }},
		{name: "unknown mode", text: "rosbag2_bagfile_information:\n  version: 4\n  compression_mode: CHUNK\n", note: "CHUNK",
			want: func(m *Metadata) bool { return m.CompressionMode == "" }},
		{name: "no root key", text: "version: 4\n", err: "rosbag2_bagfile_information"},
		{name: "no version", text: "rosbag2_bagfile_information:\n  storage_identifier: mcap\n", err: "version 0"},
		{name: "not yaml", text: "rosbag2_bagfile_information: [", err: "metadata"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, notes, err := ParseMetadata([]byte(c.text))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.want(m) {
				t.Errorf("metadata %+v", *m)
			}
			if c.note != "" && !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, c.note) }) {
				t.Errorf("notes %v lack %q", notes, c.note)
			}
		})
	}
}

func TestSortFiles(t *testing.T) {
	got := []string{"b/x_10.db3", "b/x_9.db3.zstd", "b/other.db3", "b/x_0.db3", "b/x_1.db3"}
	SortFiles(got)
	want := []string{"b/x_0.db3", "b/x_1.db3", "b/x_9.db3.zstd", "b/x_10.db3", "b/other.db3"}
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

// TestPrefixedPaths: v<4 paths relative to the folder's parent, and v4
// compressed bags' prefixed paths, are found.
func TestPrefixedPaths(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "bag")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "bag_0.db3"), nil, 0o644)
	for _, c := range []struct {
		rel     string
		version int
	}{{"bag/bag_0.db3", 3}, {"bag_0.db3", 1}, {"other/bag_0.db3", 4}} {
		p, ok := resolvePath(dir, c.rel, c.version)
		if !ok || p != filepath.Join(dir, "bag_0.db3") {
			t.Errorf("%s (v%d): %q %v", c.rel, c.version, p, ok)
		}
	}
	if _, ok := resolvePath(dir, "nope.db3", 4); ok {
		t.Error("found a missing file")
	}
}

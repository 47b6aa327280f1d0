package rosbag2

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// metadataSeeds are metadata.yaml texts of each layout: v1 (no
// compression keys), v4 with a QoS string and a v3-style prefixed path,
// v5 files, v8, v9 with a QoS list.
var metadataSeeds = []string{
	"rosbag2_bagfile_information:\n  version: 1\n  storage_identifier: sqlite3\n  relative_file_paths:\n    - b.db3\n  duration:\n    nanoseconds: 5\n  starting_time:\n    nanoseconds_since_epoch: 10\n  message_count: 2\n  topics_with_message_count:\n    - topic_metadata:\n        name: /t\n        type: std_msgs/String\n        serialization_format: cdr\n      message_count: 2\n",
	"rosbag2_bagfile_information:\n  version: 4\n  storage_identifier: sqlite3\n  relative_file_paths:\n    - bag/bag_0.db3.zstd\n  compression_format: zstd\n  compression_mode: file\n  topics_with_message_count:\n    - topic_metadata:\n        name: /rosout\n        type: rcl_interfaces/msg/Log\n        serialization_format: cdr\n        offered_qos_profiles: \"- history: 3\\n  depth: 0\\n\"\n      message_count: 0\n",
	"rosbag2_bagfile_information:\n  version: 5\n  storage_identifier: mcap\n  relative_file_paths: [a_0.mcap, a_1.mcap]\n  files:\n  - path: a_0.mcap\n    starting_time: {nanoseconds_since_epoch: 1}\n    duration: {nanoseconds: 2}\n    message_count: 3\n",
	"rosbag2_bagfile_information:\n  version: 8\n  storage_identifier: sqlite3\n  relative_file_paths: [x_0.db3]\n  custom_data: ~\n  ros_distro: ''\n  compression_mode: MESSAGE\n  compression_format: zstd\n  topics_with_message_count:\n  - topic_metadata: {name: /a, type: a/msg/B, serialization_format: cdr, offered_qos_profiles: '', type_description_hash: RIHS01_00}\n    message_count: 1\n",
	"rosbag2_bagfile_information:\n  version: 9\n  storage_identifier: mcap\n  relative_file_paths: [y_0.mcap]\n  topics_with_message_count:\n  - topic_metadata:\n      name: /a\n      type: a/msg/B\n      serialization_format: cdr\n      offered_qos_profiles:\n      - history: keep_last\n        depth: 10\n        reliability: reliable\n    message_count: 1\n  new_key_of_v10: 1\n",
}

// FuzzParseMetadata: any text gives metadata or an error, never a panic;
// what it parses has a version of 1 or more.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range metadataSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := ParseMetadata(data)
		if err == nil && m.Version < 1 {
			t.Fatalf("version %d accepted", m.Version)
		}
	})
}

// FuzzOpen: any bytes given as a bag file (a .db3 or .mcap or zstd as
// named by its first bytes) open and read without a panic or a hang.
func FuzzOpen(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "seed")
	writeTestBag(f, dir, 4, WriterOptions{MessageCompression: true})
	seed, err := os.ReadFile(filepath.Join(dir, "seed_0.db3"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0})
	// One file and one scratch folder per fuzzing process (inputs run one
	// at a time in a process), not two t.TempDir per input.
	work := f.TempDir()
	p, scratch := filepath.Join(work, "f_0.db3"), filepath.Join(work, "scratch")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(scratch); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(scratch, 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := Open(p, Options{TempDir: scratch})
		if err != nil {
			return
		}
		defer b.Close()
		for range 100000 {
			if _, err := b.Next(context.Background()); err != nil {
				return
			}
		}
		t.Fatal("more messages than the file can hold")
	})
}

package rosbag2

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxKnownVersion is the newest metadata.yaml version whose fields this
// package knows (rosbag2 0.25, Jazzy). A newer file is read by its rules,
// with a warning.
const MaxKnownVersion = 9

// maxMetadataBytes bounds the metadata.yaml read (real ones are a few kB).
const maxMetadataBytes = 64 << 20

// Metadata is a bag's metadata.yaml (the root key
// rosbag2_bagfile_information), each field read only from the version that
// added it (see docs/sources.md: rosbag2's yaml.hpp).
type Metadata struct {
	// Version is the metadata version (1-9 known).
	Version int
	// StorageIdentifier is the storage plugin: "sqlite3" or "mcap".
	StorageIdentifier string
	// RelativeFilePaths lists the storage files in reading order, as
	// written (relative to the bag folder, or to its parent before v4).
	RelativeFilePaths []string
	// Duration and Start are the bag's time span in ns (receive time).
	Duration, Start int64
	// MessageCount is the bag's message count as recorded.
	MessageCount int64
	// Topics are the topics with their recorded message counts.
	Topics []MetadataTopic
	// CompressionFormat ("" or "zstd") and CompressionMode ("", "NONE",
	// "FILE" or "MESSAGE", upper-cased here) are set from v3 on.
	CompressionFormat, CompressionMode string
	// Files (v5+) gives per storage file its path, start, duration and
	// message count.
	Files []MetadataFile
	// CustomData (v6+) is the recorder's free-form key/value map.
	CustomData map[string]string
	// ROSDistro (v8+) is the ROS distribution that recorded the bag.
	ROSDistro string
}

// MetadataTopic is one entry of topics_with_message_count.
type MetadataTopic struct {
	// Name, Type and SerializationFormat are the topic_metadata's.
	Name, Type, SerializationFormat string
	// OfferedQoS is the offered QoS profiles as YAML text (v4-8 store a
	// string; a v9 list is re-rendered as YAML).
	OfferedQoS string
	// TypeDescriptionHash (v7+) is the type's RIHS01 hash, if recorded.
	TypeDescriptionHash string
	// MessageCount is the recorded count.
	MessageCount int64
}

// MetadataFile is one entry of files (v5+).
type MetadataFile struct {
	// Path is the file's path relative to the bag folder.
	Path string
	// Start and Duration are the file's time span in ns (receive time).
	Start, Duration int64
	// MessageCount is the file's message count.
	MessageCount int64
}

type rawMetadata struct {
	Info *struct {
		Version           int      `yaml:"version"`
		StorageIdentifier string   `yaml:"storage_identifier"`
		RelativeFilePaths []string `yaml:"relative_file_paths"`
		Duration          struct {
			Nanoseconds int64 `yaml:"nanoseconds"`
		} `yaml:"duration"`
		StartingTime struct {
			Nanoseconds int64 `yaml:"nanoseconds_since_epoch"`
		} `yaml:"starting_time"`
		MessageCount int64 `yaml:"message_count"`
		Topics       []struct {
			Meta struct {
				Name                string    `yaml:"name"`
				Type                string    `yaml:"type"`
				SerializationFormat string    `yaml:"serialization_format"`
				OfferedQoS          yaml.Node `yaml:"offered_qos_profiles"`
				TypeDescriptionHash string    `yaml:"type_description_hash"`
			} `yaml:"topic_metadata"`
			MessageCount int64 `yaml:"message_count"`
		} `yaml:"topics_with_message_count"`
		CompressionFormat string `yaml:"compression_format"`
		CompressionMode   string `yaml:"compression_mode"`
		Files             []struct {
			Path         string `yaml:"path"`
			StartingTime struct {
				Nanoseconds int64 `yaml:"nanoseconds_since_epoch"`
			} `yaml:"starting_time"`
			Duration struct {
				Nanoseconds int64 `yaml:"nanoseconds"`
			} `yaml:"duration"`
			MessageCount int64 `yaml:"message_count"`
		} `yaml:"files"`
		CustomData map[string]string `yaml:"custom_data"`
		ROSDistro  string            `yaml:"ros_distro"`
	} `yaml:"rosbag2_bagfile_information"`
}

// knownKeys are the keys of rosbag2_bagfile_information up to v9.
var knownKeys = []string{"version", "storage_identifier", "relative_file_paths", "duration",
	"starting_time", "message_count", "topics_with_message_count", "compression_format",
	"compression_mode", "files", "custom_data", "ros_distro"}

// ParseMetadata parses the text of a metadata.yaml. It returns the
// metadata and notes about what it did not read (unknown keys, a version
// newer than it knows); a text that is not a rosbag2 metadata file is an
// error.
func ParseMetadata(data []byte) (*Metadata, []string, error) {
	if len(data) > maxMetadataBytes {
		return nil, nil, fmt.Errorf("metadata is %d bytes, more than the %d a metadata.yaml can be", len(data), maxMetadataBytes)
	}
	var raw rawMetadata
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("metadata: %w", err)
	}
	if raw.Info == nil {
		return nil, nil, errors.New("metadata: no rosbag2_bagfile_information key")
	}
	in := raw.Info
	var notes []string
	if in.Version < 1 {
		return nil, nil, fmt.Errorf("metadata: version %d (want 1 or more)", in.Version)
	}
	if in.Version > MaxKnownVersion {
		notes = append(notes, fmt.Sprintf("metadata version %d is newer than %d: read by the version %d rules", in.Version, MaxKnownVersion, MaxKnownVersion))
	}
	// Unknown keys: decoded again as a node, cheap for a few kB.
	var doc struct {
		Info map[string]yaml.Node `yaml:"rosbag2_bagfile_information"`
	}
	if yaml.Unmarshal(data, &doc) == nil {
		var unknown []string
		for k := range doc.Info {
			if !slices.Contains(knownKeys, k) {
				unknown = append(unknown, k)
			}
		}
		slices.Sort(unknown)
		if len(unknown) > 0 {
			notes = append(notes, "metadata keys not read: "+strings.Join(unknown, ", "))
		}
	}
	m := &Metadata{
		Version:           in.Version,
		StorageIdentifier: in.StorageIdentifier,
		RelativeFilePaths: in.RelativeFilePaths,
		Duration:          in.Duration.Nanoseconds,
		Start:             in.StartingTime.Nanoseconds,
		MessageCount:      in.MessageCount,
	}
	v := in.Version
	for _, t := range in.Topics {
		mt := MetadataTopic{Name: t.Meta.Name, Type: t.Meta.Type, SerializationFormat: t.Meta.SerializationFormat, MessageCount: t.MessageCount}
		if v >= 4 {
			q, err := qosText(&t.Meta.OfferedQoS)
			if err != nil {
				notes = append(notes, fmt.Sprintf("topic %s: offered_qos_profiles not read: %v", mt.Name, err))
			}
			mt.OfferedQoS = q
		}
		if v >= 7 {
			mt.TypeDescriptionHash = t.Meta.TypeDescriptionHash
		}
		m.Topics = append(m.Topics, mt)
	}
	if v >= 3 {
		m.CompressionFormat = in.CompressionFormat
		m.CompressionMode = strings.ToUpper(in.CompressionMode)
	}
	if v >= 5 {
		for _, f := range in.Files {
			m.Files = append(m.Files, MetadataFile{Path: f.Path, Start: f.StartingTime.Nanoseconds, Duration: f.Duration.Nanoseconds, MessageCount: f.MessageCount})
		}
	}
	if v >= 6 {
		m.CustomData = in.CustomData
	}
	if v >= 8 {
		m.ROSDistro = in.ROSDistro
	}
	switch m.CompressionMode {
	case "", "NONE", "FILE", "MESSAGE":
	default:
		notes = append(notes, fmt.Sprintf("compression_mode %q unknown (want NONE, FILE or MESSAGE): read as uncompressed", in.CompressionMode))
		m.CompressionMode = ""
	}
	if m.CompressionMode == "FILE" || m.CompressionMode == "MESSAGE" {
		if m.CompressionFormat != "zstd" {
			notes = append(notes, fmt.Sprintf("compression_format %q with mode %s: only zstd exists", m.CompressionFormat, m.CompressionMode))
		}
	}
	return m, notes, nil
}

// qosText renders offered_qos_profiles as YAML text: the string as stored
// (v4-8), or the v9 list re-encoded.
func qosText(n *yaml.Node) (string, error) {
	switch n.Kind {
	case 0:
		return "", nil
	case yaml.ScalarNode:
		return n.Value, nil
	default:
		b, err := yaml.Marshal(n)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
}

// messageCompressed reports whether the metadata says every message blob
// is a zstd frame.
func (m *Metadata) messageCompressed() bool {
	return m != nil && m.CompressionMode == "MESSAGE"
}

// fileCompressed reports whether the metadata says the storage files are
// zstd-compressed whole.
func (m *Metadata) fileCompressed() bool {
	return m != nil && m.CompressionMode == "FILE"
}

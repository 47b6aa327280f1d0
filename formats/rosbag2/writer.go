package rosbag2

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
	"gopkg.in/yaml.v3"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	// MessageCompression writes every message blob as one zstd frame
	// (rosbag2's MESSAGE compression mode).
	MessageCompression bool
	// SplitMessages starts a new storage file after that many messages
	// (0: one file).
	SplitMessages int
	// ROSDistro is written to the schema table and metadata.yaml.
	ROSDistro string
}

// Writer writes a rosbag2 bag folder with SQLite storage in the layout of
// rosbag2 0.22+ (Iron, Jazzy): the tables and columns of schema version 4
// (topics with type_description_hash, message_definitions, schema and
// metadata tables, the timestamp index), files NAME_0.db3, NAME_1.db3, ...
// and metadata.yaml version 8. It exists to write fixture logs for tests:
// its bytes are not checked against rosbag2's own writer (no reference
// writer runs here), and it writes no QoS profiles or type hashes. It is
// not safe for concurrent use.
type Writer struct {
	dir, base string
	opts      WriterOptions
	topics    []writerTopic
	byName    map[string]int
	db        *sql.DB
	tx        *sql.Tx
	ins       *sql.Stmt
	files     []MetadataFile
	cur       *MetadataFile
	zenc      *zstd.Encoder
	total     int64
	start     int64
	end       int64
}

type writerTopic struct {
	name, typ, def string
	count          int64
}

// Create makes the bag folder dir (which must not exist) and returns a
// Writer into it.
func Create(dir string, opts WriterOptions) (*Writer, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rosbag2: %w", err)
	}
	w := &Writer{dir: dir, base: filepath.Base(dir), opts: opts, byName: map[string]int{}, start: math.MaxInt64, end: math.MinInt64}
	if opts.MessageCompression {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		w.zenc = enc
	}
	return w, nil
}

// AddTopic declares a topic: its type (pkg/msg/Type) and the ros2msg
// text of its definition (empty: stored with encoding "unknown", as
// rosbag2 does for a type it cannot find). Topics must be added before
// the first Write.
func (w *Writer) AddTopic(name, typ string, definition []byte) error {
	if w.db != nil {
		return errors.New("rosbag2: AddTopic after Write")
	}
	if _, ok := w.byName[name]; ok {
		return fmt.Errorf("rosbag2: topic %s added twice", name)
	}
	w.byName[name] = len(w.topics)
	w.topics = append(w.topics, writerTopic{name: name, typ: typ, def: string(definition)})
	return nil
}

const schema4 = `
CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL);
CREATE TABLE metadata(id INTEGER PRIMARY KEY, metadata_version INTEGER NOT NULL, metadata TEXT NOT NULL);
CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, serialization_format TEXT NOT NULL, offered_qos_profiles TEXT NOT NULL, type_description_hash TEXT NOT NULL);
CREATE TABLE message_definitions(id INTEGER PRIMARY KEY, topic_type TEXT NOT NULL, encoding TEXT NOT NULL, encoded_message_definition TEXT NOT NULL, type_description_hash TEXT NOT NULL);
CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX timestamp_idx ON messages (timestamp ASC);
`

// openFile starts the next storage file.
func (w *Writer) openFile() error {
	name := fmt.Sprintf("%s_%d.db3", w.base, len(w.files))
	path := filepath.Join(w.dir, name)
	uri, err := sqliteURI(path, "rwc", false)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return fmt.Errorf("rosbag2: %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	stmts := []string{`PRAGMA journal_mode=MEMORY`, `PRAGMA synchronous=OFF`, schema4}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return fmt.Errorf("rosbag2: %s: %w", path, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO schema VALUES (4, ?)`, w.opts.ROSDistro); err != nil {
		db.Close()
		return fmt.Errorf("rosbag2: %s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, t := range w.topics {
		if _, err := db.Exec(`INSERT INTO topics VALUES (?, ?, ?, 'cdr', '', '')`, i+1, t.name, t.typ); err != nil {
			db.Close()
			return fmt.Errorf("rosbag2: %s: %w", path, err)
		}
		if seen[t.typ] {
			continue
		}
		seen[t.typ] = true
		enc := "ros2msg"
		if t.def == "" {
			enc = "unknown"
		}
		if _, err := db.Exec(`INSERT INTO message_definitions (topic_type, encoding, encoded_message_definition, type_description_hash) VALUES (?, ?, ?, '')`, t.typ, enc, t.def); err != nil {
			db.Close()
			return fmt.Errorf("rosbag2: %s: %w", path, err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		return fmt.Errorf("rosbag2: %s: %w", path, err)
	}
	ins, err := tx.Prepare(`INSERT INTO messages (topic_id, timestamp, data) VALUES (?, ?, ?)`)
	if err != nil {
		tx.Rollback()
		db.Close()
		return fmt.Errorf("rosbag2: %s: %w", path, err)
	}
	w.db, w.tx, w.ins = db, tx, ins
	w.files = append(w.files, MetadataFile{Path: name, Start: math.MaxInt64})
	w.cur = &w.files[len(w.files)-1]
	return nil
}

// closeFile commits and closes the current storage file.
func (w *Writer) closeFile() error {
	if w.db == nil {
		return nil
	}
	err := errors.Join(w.ins.Close(), w.tx.Commit())
	if err == nil {
		var text []byte
		if text, err = w.metadata(); err == nil {
			_, err = w.db.Exec(`INSERT INTO metadata (metadata_version, metadata) VALUES (8, ?)`, string(text))
		}
	}
	err = errors.Join(err, w.db.Close())
	w.db, w.tx, w.ins = nil, nil, nil
	return err
}

// Write appends one message: its topic, receive time (ns since the epoch)
// and CDR bytes.
func (w *Writer) Write(topic string, logTime int64, data []byte) error {
	i, ok := w.byName[topic]
	if !ok {
		return fmt.Errorf("rosbag2: Write to topic %s, which was not added", topic)
	}
	if w.db != nil && w.opts.SplitMessages > 0 && w.cur.MessageCount >= int64(w.opts.SplitMessages) {
		if err := w.closeFile(); err != nil {
			return err
		}
	}
	if w.db == nil {
		if err := w.openFile(); err != nil {
			return err
		}
	}
	if w.zenc != nil {
		data = w.zenc.EncodeAll(data, nil)
	}
	if _, err := w.ins.Exec(i+1, logTime, data); err != nil {
		return fmt.Errorf("rosbag2: %s: %w", w.cur.Path, err)
	}
	w.topics[i].count++
	w.total++
	c := w.cur
	c.MessageCount++
	c.Start = min(c.Start, logTime)
	c.Duration = max(c.Duration, logTime-c.Start)
	w.start, w.end = min(w.start, logTime), max(w.end, logTime)
	return nil
}

type yamlNS struct {
	Nanoseconds int64 `yaml:"nanoseconds"`
}

type yamlEpoch struct {
	Nanoseconds int64 `yaml:"nanoseconds_since_epoch"`
}

// metadata renders metadata.yaml (version 8).
func (w *Writer) metadata() ([]byte, error) {
	type topicMeta struct {
		Name                string `yaml:"name"`
		Type                string `yaml:"type"`
		SerializationFormat string `yaml:"serialization_format"`
		OfferedQoS          string `yaml:"offered_qos_profiles"`
		TypeDescriptionHash string `yaml:"type_description_hash"`
	}
	type topicCount struct {
		Meta  topicMeta `yaml:"topic_metadata"`
		Count int64     `yaml:"message_count"`
	}
	type file struct {
		Path     string    `yaml:"path"`
		Start    yamlEpoch `yaml:"starting_time"`
		Duration yamlNS    `yaml:"duration"`
		Count    int64     `yaml:"message_count"`
	}
	type info struct {
		Version           int               `yaml:"version"`
		StorageIdentifier string            `yaml:"storage_identifier"`
		RelativeFilePaths []string          `yaml:"relative_file_paths"`
		Duration          yamlNS            `yaml:"duration"`
		StartingTime      yamlEpoch         `yaml:"starting_time"`
		MessageCount      int64             `yaml:"message_count"`
		Topics            []topicCount      `yaml:"topics_with_message_count"`
		CompressionFormat string            `yaml:"compression_format"`
		CompressionMode   string            `yaml:"compression_mode"`
		Files             []file            `yaml:"files"`
		CustomData        map[string]string `yaml:"custom_data"`
		ROSDistro         string            `yaml:"ros_distro"`
	}
	in := info{Version: 8, StorageIdentifier: string(SQLite), MessageCount: w.total, ROSDistro: w.opts.ROSDistro}
	if w.total > 0 {
		in.StartingTime.Nanoseconds, in.Duration.Nanoseconds = w.start, w.end-w.start
	}
	if w.zenc != nil {
		in.CompressionFormat, in.CompressionMode = "zstd", "MESSAGE"
	}
	for _, f := range w.files {
		in.RelativeFilePaths = append(in.RelativeFilePaths, f.Path)
		start := f.Start
		if f.MessageCount == 0 {
			start = 0
		}
		in.Files = append(in.Files, file{Path: f.Path, Start: yamlEpoch{start}, Duration: yamlNS{f.Duration}, Count: f.MessageCount})
	}
	for _, t := range w.topics {
		in.Topics = append(in.Topics, topicCount{Meta: topicMeta{Name: t.name, Type: t.typ, SerializationFormat: "cdr"}, Count: t.count})
	}
	return yaml.Marshal(map[string]info{"rosbag2_bagfile_information": in})
}

// Close finishes the last storage file and writes metadata.yaml.
func (w *Writer) Close() error {
	if w.db == nil && len(w.files) == 0 {
		if err := w.openFile(); err != nil {
			return err
		}
	}
	err := w.closeFile()
	if w.zenc != nil {
		w.zenc.Close()
	}
	if err != nil {
		return err
	}
	text, err := w.metadata()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.dir, "metadata.yaml"), text, 0o644)
}

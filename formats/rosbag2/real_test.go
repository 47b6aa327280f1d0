package rosbag2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
)

// expected is the part of ../shared/data/rosbag/expected.json about
// rosbag2 bags.
type expected struct {
	Files map[string]expBag `json:"files"`
}

type expBag struct {
	Format       string              `json:"format"`
	Storage      string              `json:"storage"`
	MessageCount int64               `json:"message_count"`
	StartNS      *int64              `json:"start_ns"`
	EndNS        *int64              `json:"end_ns"`
	Metadata     *expMeta            `json:"metadata"`
	Files        map[string]expFile  `json:"files"`
	Topics       map[string]expTopic `json:"topics"`
}

type expMeta struct {
	Version           int      `json:"version"`
	StorageIdentifier string   `json:"storage_identifier"`
	CompressionFormat string   `json:"compression_format"`
	CompressionMode   string   `json:"compression_mode"`
	MessageCount      int64    `json:"message_count"`
	RelativeFilePaths []string `json:"relative_file_paths"`
}

type expFile struct {
	Size                     int64            `json:"size"`
	SHA256                   string           `json:"sha256"`
	MessageCount             int64            `json:"message_count"`
	JournalMode              string           `json:"journal_mode"`
	Tables                   []string         `json:"tables"`
	SchemaVersion            *int             `json:"schema_version"`
	ROSDistro                *string          `json:"ros_distro"`
	TopicsColumns            []string         `json:"topics_columns"`
	TopicIDs                 map[string]int64 `json:"topic_ids"`
	MessageDefinitionsStored *bool            `json:"message_definitions_stored"`
	MetadataRows             *int             `json:"metadata_rows"`
	FileCompression          string           `json:"file_compression"`
	DecompressedSize         int64            `json:"decompressed_size"`
	ZstdCompressedMessages   int64            `json:"zstd_compressed_messages"`
	ChunkCompressions        []string         `json:"chunk_compressions"`
	Library                  string           `json:"library"`
	Profile                  string           `json:"profile"`
	ReadmcapError            string           `json:"readmcap_error"`
}

type expTopic struct {
	Type                string      `json:"type"`
	Count               int64       `json:"count"`
	FirstNS             *int64      `json:"first_ns"`
	LastNS              *int64      `json:"last_ns"`
	DefinitionStored    bool        `json:"definition_stored"`
	SerializationFormat string      `json:"serialization_format"`
	Samples             []expSample `json:"samples"`
}

type expSample struct {
	Index      int            `json:"index"`
	LogTimeNS  int64          `json:"log_time_ns"`
	TimeUnique bool           `json:"time_unique"`
	Values     map[string]any `json:"values"`
}

func loadExpected(t *testing.T) (string, map[string]expBag) {
	t.Helper()
	dir := shareddata.Dir(t, "rosbag")
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber() // header stamps do not fit a float64
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	out := map[string]expBag{}
	for k, v := range e.Files {
		if strings.HasPrefix(k, "rosbag2/") {
			out[k] = v
		}
	}
	if len(out) == 0 {
		t.Fatal("expected.json lists no rosbag2 bag")
	}
	return dir, out
}

// testDefinitions holds rcl_interfaces (Log, ParameterEvent), which the
// bundled set lacks, as a user would pass custom types.
var testDefinitions = os.DirFS("../rosenc/testdata/msgs")

// readAll reads a bag twice: raw (every message) and decoded (Next).
func readAll(t *testing.T, path string, opts Options) (*Bag, []RawMessage, []formats.Message) {
	t.Helper()
	b, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var raws []RawMessage
	for {
		m, err := b.NextRaw(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, m)
	}
	b2, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	var decs []formats.Message
	for {
		m, err := b2.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		decs = append(decs, m)
	}
	return b, raws, decs
}

// disagreements are the facts of expected.json that the bytes of the file
// contradict, checked by hand (issue 14 report):
//   - test_bag_mcap's CompressedImage, Image and PointCloud2 data lengths:
//     the CDR length prefix of the data field says 10, 30 and 36 bytes
//     (the message ends right after them, e.g. 54 bytes for the
//     CompressedImage: 4 + 8 + 4+11 (+1 pad) + 4+5 (+3 pad) + 4+10), the
//     same as the SQLite twin; expected.json says 16, 40 and 48.
var disagreements = map[string]any{
	"mcap/test_bag_mcap /test/sensor_msgs/compressed_image data.len": int64(10),
	"mcap/test_bag_mcap /test/sensor_msgs/image data.len":            int64(30),
	"mcap/test_bag_mcap /test/sensor_msgs/point_cloud2 data.len":     int64(36),
}

// extraTopics are topics the storage has (a channel, no message) that
// expected.json leaves out; metadata.yaml lists them too.
var extraTopics = map[string]bool{
	"mcap/bag_with_topics_and_service_events /events/write_split": true,
}

// TestExpected reads every rosbag2 bag of the shared data and checks every
// fact expected.json gives about it: metadata, files, topics, counts,
// times and the decoded samples.
func TestExpected(t *testing.T) {
	root, bags := loadExpected(t)
	keys := make([]string, 0, len(bags))
	for k := range bags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		e := bags[key]
		t.Run(strings.TrimPrefix(key, "rosbag2/"), func(t *testing.T) {
			b, raws, decs := readAll(t, filepath.Join(root, key), Options{Definitions: testDefinitions})
			checkBag(t, root, strings.TrimPrefix(key, "rosbag2/"), e, b, raws, decs)
		})
	}
}

func checkBag(t *testing.T, root, key string, e expBag, b *Bag, raws []RawMessage, decs []formats.Message) {
	if e.Format != "rosbag2" {
		t.Errorf("format %q", e.Format)
	}
	if string(b.Storage()) != e.Storage {
		t.Errorf("storage %s, want %s", b.Storage(), e.Storage)
	}
	// Metadata.
	m := b.Metadata()
	switch {
	case e.Metadata == nil && m != nil:
		t.Errorf("metadata parsed, expected none")
	case e.Metadata != nil && m == nil:
		t.Errorf("no metadata parsed")
	case e.Metadata != nil:
		if m.Version != e.Metadata.Version || m.StorageIdentifier != e.Metadata.StorageIdentifier ||
			m.CompressionFormat != e.Metadata.CompressionFormat || m.CompressionMode != strings.ToUpper(e.Metadata.CompressionMode) ||
			m.MessageCount != e.Metadata.MessageCount || !slices.Equal(m.RelativeFilePaths, e.Metadata.RelativeFilePaths) {
			t.Errorf("metadata %+v, want %+v", *m, *e.Metadata)
		}
	}
	// Files.
	files := b.Files()
	if len(files) != len(e.Files) {
		t.Errorf("%d files, want %d", len(files), len(e.Files))
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f.Path)
		ef, ok := e.Files[filepath.ToSlash(rel)]
		if !ok {
			t.Errorf("file %s not expected", rel)
			continue
		}
		checkFile(t, rel, f, ef)
	}
	// Counts and times.
	if int64(len(raws)) != e.MessageCount {
		t.Errorf("%d messages, want %d", len(raws), e.MessageCount)
	}
	for i := 1; i < len(raws); i++ {
		if raws[i].LogTime < raws[i-1].LogTime {
			t.Fatalf("message %d: log time %d before %d", i, raws[i].LogTime, raws[i-1].LogTime)
		}
	}
	if e.StartNS != nil && (len(raws) == 0 || raws[0].LogTime != *e.StartNS || raws[len(raws)-1].LogTime != *e.EndNS) {
		t.Errorf("time range wrong, want %d..%d", *e.StartNS, *e.EndNS)
	}
	// Topics.
	byTopic := map[string][]RawMessage{}
	for _, r := range raws {
		byTopic[r.Topic] = append(byTopic[r.Topic], r)
	}
	decByTopic := map[string][]formats.Message{}
	for _, d := range decs {
		decByTopic[d.Topic] = append(decByTopic[d.Topic], d)
	}
	topics := b.Topics()
	extra := 0
	for _, tp := range topics {
		if extraTopics[key+" "+tp.Name] {
			extra++
			if tp.Count != 0 || !slices.ContainsFunc(m.Topics, func(mt MetadataTopic) bool { return mt.Name == tp.Name }) {
				t.Errorf("topic %s: %d messages, or not in metadata.yaml", tp.Name, tp.Count)
			}
		}
	}
	if len(topics)-extra != len(e.Topics) {
		t.Errorf("%d topics, want %d", len(topics)-extra, len(e.Topics))
	}
	decodable := 0
	for _, tp := range topics {
		et, ok := e.Topics[tp.Name]
		if extraTopics[key+" "+tp.Name] {
			continue
		}
		if !ok {
			t.Errorf("topic %s not expected", tp.Name)
			continue
		}
		if tp.Type != et.Type || tp.Count != et.Count || tp.SerializationFormat != et.SerializationFormat || tp.DefinitionStored != et.DefinitionStored {
			t.Errorf("topic %s: %s %d %s stored=%v, want %s %d %s stored=%v", tp.Name, tp.Type, tp.Count, tp.SerializationFormat, tp.DefinitionStored,
				et.Type, et.Count, et.SerializationFormat, et.DefinitionStored)
		}
		got := byTopic[tp.Name]
		if int64(len(got)) != et.Count {
			t.Errorf("topic %s: read %d messages, want %d", tp.Name, len(got), et.Count)
		}
		if et.FirstNS != nil && len(got) > 0 && (got[0].LogTime != *et.FirstNS || got[len(got)-1].LogTime != *et.LastNS) {
			t.Errorf("topic %s: %d..%d, want %d..%d", tp.Name, got[0].LogTime, got[len(got)-1].LogTime, *et.FirstNS, *et.LastNS)
		}
		if tp.Definition == DefinitionNone {
			if tp.DefinitionNote == "" {
				t.Errorf("topic %s: no definition and no note", tp.Name)
			}
			if len(decByTopic[tp.Name]) != 0 {
				t.Errorf("topic %s: undecodable, yet Next gave %d messages", tp.Name, len(decByTopic[tp.Name]))
			}
			if len(et.Samples) > 0 {
				t.Errorf("topic %s has samples but no definition: %s", tp.Name, tp.DefinitionNote)
			}
			continue
		}
		decodable += len(got)
		if n := len(decByTopic[tp.Name]); n != len(got) {
			t.Errorf("topic %s: Next decoded %d of %d messages", tp.Name, n, len(got))
			continue
		}
		checkSamples(t, b, key, tp, et.Samples, got, decByTopic[tp.Name])
	}
	if len(decs) != decodable {
		t.Errorf("Next gave %d messages, want %d (those of topics with a definition)", len(decs), decodable)
	}
}

func checkFile(t *testing.T, rel string, f File, ef expFile) {
	t.Helper()
	data, err := os.ReadFile(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != ef.Size || hex.EncodeToString(sum[:]) != ef.SHA256 {
		t.Errorf("%s: input is not the file expected.json describes", rel)
	}
	if f.Messages != ef.MessageCount {
		t.Errorf("%s: %d messages, want %d", rel, f.Messages, ef.MessageCount)
	}
	if f.Storage == MCAP {
		if f.Profile != ef.Profile || f.Library != ef.Library || !slices.Equal(f.ChunkCompressions, ef.ChunkCompressions) {
			t.Errorf("%s: profile %q library %q chunks %v, want %q %q %v", rel, f.Profile, f.Library, f.ChunkCompressions, ef.Profile, ef.Library, ef.ChunkCompressions)
		}
		// ef.ReadmcapError is another tool's failure (on a service schema's
		// "---" line); nothing of this reader's.
		return
	}
	if (ef.JournalMode == "wal") != f.WAL {
		t.Errorf("%s: WAL %v, journal %s", rel, f.WAL, ef.JournalMode)
	}
	if f.RecoveredWAL {
		t.Errorf("%s: a WAL was recovered; the shared files have none with rows", rel)
	}
	if !slices.Equal(f.Tables, ef.Tables) || !slices.Equal(f.TopicColumns, ef.TopicsColumns) {
		t.Errorf("%s: tables %v columns %v, want %v %v", rel, f.Tables, f.TopicColumns, ef.Tables, ef.TopicsColumns)
	}
	wantSchema := 1
	switch {
	case ef.SchemaVersion != nil:
		wantSchema = *ef.SchemaVersion
	case slices.Contains(ef.TopicsColumns, "offered_qos_profiles"):
		wantSchema = 2
	}
	if f.SchemaVersion != wantSchema {
		t.Errorf("%s: schema %d, want %d", rel, f.SchemaVersion, wantSchema)
	}
	if ef.ROSDistro != nil && f.ROSDistro != *ef.ROSDistro {
		t.Errorf("%s: ros_distro %q, want %q", rel, f.ROSDistro, *ef.ROSDistro)
	}
	if len(f.TopicIDs) != len(ef.TopicIDs) {
		t.Errorf("%s: topic ids %v, want %v", rel, f.TopicIDs, ef.TopicIDs)
	}
	for k, v := range ef.TopicIDs {
		if f.TopicIDs[k] != v {
			t.Errorf("%s: topic %s id %d, want %d", rel, k, f.TopicIDs[k], v)
		}
	}
	if ef.MetadataRows != nil && f.MetadataRows != *ef.MetadataRows {
		t.Errorf("%s: %d metadata rows, want %d", rel, f.MetadataRows, *ef.MetadataRows)
	}
	if (ef.FileCompression == "zstd") != f.FileCompressed || f.FileCompressed && f.DecompressedSize != ef.DecompressedSize {
		t.Errorf("%s: file compression %v (%d B), want %q (%d B)", rel, f.FileCompressed, f.DecompressedSize, ef.FileCompression, ef.DecompressedSize)
	}
	if wantMsg := ef.ZstdCompressedMessages > 0; wantMsg != f.MessageCompressed {
		t.Errorf("%s: message compression %v, want %d zstd blobs", rel, f.MessageCompressed, ef.ZstdCompressedMessages)
	}
	if ef.ZstdCompressedMessages > 0 && ef.ZstdCompressedMessages != ef.MessageCount {
		t.Errorf("%s: expected.json has %d of %d blobs compressed; the reader assumes all", rel, ef.ZstdCompressedMessages, ef.MessageCount)
	}
}

// checkSamples compares the decoded samples with expected.json, through
// the generic value (every field) and through Next's envelope (stamp,
// frame id, typed payload).
func checkSamples(t *testing.T, b *Bag, key string, tp Topic, samples []expSample, raws []RawMessage, decs []formats.Message) {
	t.Helper()
	if len(samples) == 0 {
		return
	}
	d, err := b.Decoder(tp.Name)
	if err != nil {
		t.Fatalf("topic %s: %v", tp.Name, err)
	}
	for _, s := range samples {
		if s.Index >= len(raws) {
			t.Errorf("topic %s: sample %d of %d", tp.Name, s.Index, len(raws))
			continue
		}
		r := raws[s.Index]
		if r.LogTime != s.LogTimeNS {
			t.Errorf("topic %s sample %d: log time %d, want %d", tp.Name, s.Index, r.LogTime, s.LogTimeNS)
		}
		v, err := d.Value(r.Data)
		if err != nil {
			t.Errorf("topic %s sample %d: %v", tp.Name, s.Index, err)
			continue
		}
		dm := decs[s.Index]
		if dm.LogTime != r.LogTime {
			t.Errorf("topic %s sample %d: Next log time %d, raw %d", tp.Name, s.Index, dm.LogTime, r.LogTime)
		}
		for path, want := range s.Values {
			got, err := valueAt(v, path)
			if err != nil {
				t.Errorf("topic %s sample %d: %s: %v", tp.Name, s.Index, path, err)
				continue
			}
			if d, ok := disagreements[key+" "+tp.Name+" "+path]; ok {
				want = d
			}
			if !sameValue(got, want) {
				t.Errorf("topic %s sample %d: %s = %v (%T), want %v", tp.Name, s.Index, path, got, got, want)
			}
			switch path {
			case "header.stamp":
				if dm.Stamp != toInt64(want) || dm.StampClock == formats.ClockLog {
					t.Errorf("topic %s sample %d: Next stamp %d on %s, want %v", tp.Name, s.Index, dm.Stamp, dm.StampClock, want)
				}
			case "header.frame_id":
				if dm.FrameID != want {
					t.Errorf("topic %s sample %d: Next frame id %q, want %v", tp.Name, s.Index, dm.FrameID, want)
				}
			}
		}
		checkTyped(t, tp, s, dm)
	}
}

// checkTyped checks the typed payload of the sensor types.
func checkTyped(t *testing.T, tp Topic, s expSample, m formats.Message) {
	t.Helper()
	f := func(k string) float64 { return toFloat(s.Values[k]) }
	switch p := m.Payload.(type) {
	case *formats.IMU:
		if p.AngularVelocity.X != f("angular_velocity.x") || float64(p.LinearAcceleration.Z) != f("linear_acceleration.z") {
			t.Errorf("topic %s: IMU payload %+v", tp.Name, *p)
		}
	case *formats.GNSS:
		if p.Latitude != f("latitude") || p.Longitude != f("longitude") || p.Altitude != f("altitude") {
			t.Errorf("topic %s: GNSS payload %+v", tp.Name, *p)
		}
	case *formats.PointCloud:
		if p.Width != int(f("width")) || p.PointStep != int(f("point_step")) || p.Fields[0].Name != s.Values["fields[0].name"] {
			t.Errorf("topic %s: point cloud %d×%d step %d", tp.Name, p.Width, p.Height, p.PointStep)
		}
	case *formats.Transforms:
		if p.Transforms[0].Child != s.Values["transforms[0].child_frame_id"] {
			t.Errorf("topic %s: transforms %+v", tp.Name, p.Transforms)
		}
	case *formats.Generic:
		if strings.HasPrefix(tp.Type, "sensor_msgs/msg/Imu") || strings.HasPrefix(tp.Type, "sensor_msgs/msg/PointCloud2") {
			t.Errorf("topic %s: generic payload for a typed sensor type", tp.Name)
		}
	}
}

// valueAt resolves a sample path (a.b, a[0].b, a[-1].b, a.len,
// header.stamp as ns) in a decoded value.
func valueAt(v any, path string) (any, error) {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		if p == "len" && i == len(parts)-1 {
			switch x := v.(type) {
			case []any:
				return int64(len(x)), nil
			case []byte:
				return int64(len(x)), nil
			case string:
				return int64(len(x)), nil
			}
			return nil, fmt.Errorf("len of %T", v)
		}
		name, idx, hasIdx := p, 0, false
		if j := strings.IndexByte(p, '['); j >= 0 {
			n, err := strconv.Atoi(strings.TrimSuffix(p[j+1:], "]"))
			if err != nil {
				return nil, err
			}
			name, idx, hasIdx = p[:j], n, true
		}
		r, ok := v.(*formats.Record)
		if !ok {
			return nil, fmt.Errorf("%s: not a record (%T)", p, v)
		}
		v, ok = r.Get(name)
		if !ok {
			return nil, fmt.Errorf("no field %s", name)
		}
		if hasIdx {
			arr, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: not an array (%T)", name, v)
			}
			if idx < 0 {
				idx += len(arr)
			}
			if idx < 0 || idx >= len(arr) {
				return nil, fmt.Errorf("%s: index %d of %d", name, idx, len(arr))
			}
			v = arr[idx]
		}
		if name == "stamp" && i == len(parts)-1 {
			sr, ok := v.(*formats.Record)
			if !ok {
				return nil, fmt.Errorf("stamp is %T", v)
			}
			sec, _ := sr.Get("sec")
			nsec, _ := sr.Get("nanosec")
			return toInt64(sec)*1_000_000_000 + toInt64(nsec), nil
		}
	}
	return v, nil
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	case json.Number:
		n, _ := x.Int64()
		return n
	}
	return 0
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case json.Number:
		f, _ := x.Float64()
		return f
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// sameValue compares a decoded value with a JSON one: numbers within
// float32 rounding, NaN as the string "NaN".
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case string:
		if s, ok := got.(string); ok {
			return s == w
		}
		if w == "NaN" {
			return math.IsNaN(toFloat(got))
		}
		return false
	case bool:
		b, ok := got.(bool)
		return ok && b == w
	case int64:
		return got == w
	case json.Number:
		switch g := got.(type) {
		case int64:
			n, err := w.Int64()
			return err == nil && n == g
		case uint64:
			n, err := strconv.ParseUint(w.String(), 10, 64)
			return err == nil && n == g
		}
		wf, _ := w.Float64()
		return math.Abs(toFloat(got)-wf) <= 1e-6*math.Max(1, math.Abs(wf))
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

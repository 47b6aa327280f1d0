package rosbag2

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/klauspost/compress/zstd"

	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// Storage is a rosbag2 storage plugin.
type Storage string

// The storage plugins rosbag2 ships.
const (
	SQLite Storage = "sqlite3"
	MCAP   Storage = "mcap"
)

// DefinitionSource says where the message definition used to decode a
// topic came from.
type DefinitionSource string

// Where definitions come from, in the order they are tried.
const (
	// DefinitionBag: stored in the bag (the .db3 message_definitions table,
	// schema 4; an MCAP file's ros2msg schema).
	DefinitionBag DefinitionSource = "bag"
	// DefinitionBundled: rigsync's bundled ROS 2 .msg texts
	// (rosenc.Schemas), for bags that store none.
	DefinitionBundled DefinitionSource = "bundled"
	// DefinitionOptions: the .msg tree given in Options.Definitions.
	DefinitionOptions DefinitionSource = "options"
	// DefinitionNone: no definition found; the topic's messages are not
	// decoded (Topic.DefinitionNote says why).
	DefinitionNone DefinitionSource = "none"
)

// Options configure Open.
type Options struct {
	// Name names the bag in Name and in errors (the path when empty).
	Name string
	// Definitions, when set, is a tree of .msg files laid out like an
	// ament share/ folder (<pkg>/msg/<Type>.msg), tried after the bag's own
	// definitions and the bundled ones, for custom types.
	Definitions fs.FS
	// TempDir is where zstd-compressed storage files are decompressed and
	// where a database with a write-ahead log is copied before it is
	// opened (os.TempDir() when empty). The files are removed on Close.
	TempDir string
	// Want, when set, keeps only the topics it returns true for; the
	// others are not read.
	Want func(t *Topic) bool
	// Start and End bound the log times read (ns, receive time): Start
	// inclusive, End exclusive, 0 unbounded. SQLite storage selects them
	// through the messages table's timestamp index, MCAP storage through
	// its chunk index.
	Start, End int64
}

// Topic is one topic of the bag, joined by name over its storage files.
type Topic struct {
	// Name, Type and SerializationFormat are as the storage records them
	// (the type as written: pkg/msg/Type or the older pkg/Type).
	Name, Type, SerializationFormat string
	// Count is the number of messages over all storage files.
	Count int64
	// DefinitionStored is true when the bag stores a definition for the
	// type (a message_definitions row, an MCAP schema with data).
	DefinitionStored bool
	// Definition says which definition decodes the topic.
	Definition DefinitionSource
	// DefinitionNote says why the bag's own definition was not used, or
	// why none was found.
	DefinitionNote string
	// OfferedQoS is the offered QoS profiles as YAML text, if recorded.
	OfferedQoS string
	// TypeDescriptionHash is the type's RIHS01 hash, if recorded.
	TypeDescriptionHash string

	stored     []byte // the bag's own definition text (ros2msg)
	storedEnc  string
	ch         *mcap.Channel
	sc         *mcap.Schema
	checked    bool // the chosen definition was tried on a message
	candidates []candidate
}

type candidate struct {
	src  DefinitionSource
	data []byte
	note string // why it cannot be used ("" = usable so far)
}

// File is one storage file of the bag.
type File struct {
	// Path is the file's path as found on disk.
	Path string
	// Storage is the file's storage, from its content.
	Storage Storage
	// FileCompressed is true for a zstd-compressed file (.db3.zstd,
	// .mcap.zstd), decompressed to a temporary file to be read.
	FileCompressed bool
	// MessageCompressed is true when each message blob is a zstd frame.
	MessageCompressed bool
	// SchemaVersion is the rosbag2 SQLite schema version (1-4; 0 for MCAP).
	SchemaVersion int
	// ROSDistro is the schema table's ros_distro (SQLite schema 3+).
	ROSDistro string
	// WAL is true for a SQLite database in write-ahead-log mode.
	WAL bool
	// RecoveredWAL is true when a non-empty -wal file beside the database
	// was read (from a copy).
	RecoveredWAL bool
	// Messages is the number of messages the file holds.
	Messages int64
	// DecompressedSize is the size of a FileCompressed file once
	// decompressed.
	DecompressedSize int64
	// Tables (SQLite) are the database's tables, sorted; TopicColumns
	// the columns of its topics table; TopicIDs its topics.id per topic
	// name (ids are per file: topics are joined by name); MetadataRows
	// the rows of its metadata table (schema 3+).
	Tables, TopicColumns []string
	TopicIDs             map[string]int64
	MetadataRows         int
	// Profile, Library and ChunkCompressions (MCAP) are the header's
	// profile and library and the distinct chunk compressions ("none" for
	// uncompressed chunks), in order met.
	Profile, Library  string
	ChunkCompressions []string

	name   string // the path shown in messages
	open   string // the path opened (a temporary copy or decompression)
	sq     *sqliteFile
	mc     *mcapFile
	closed bool
}

// Warning is a problem met while opening or reading that did not stop
// the reading.
type Warning struct {
	// File is the storage file (or metadata.yaml) concerned.
	File string
	// Where is the row ("row 12") or byte offset ("offset 345") when
	// known.
	Where string
	// Topic is the topic concerned, if any.
	Topic string
	// Msg says what happened and what was kept.
	Msg string
	// Lost is how many messages were lost because of it: 0 none,
	// LostUnknown when it cannot be told.
	Lost int
	// Stopped is true when the reading of File stopped there (a cut or
	// damaged file): nothing after it in File was read.
	Stopped bool
}

// LostUnknown is Warning.Lost when the number of lost messages cannot be
// told (the same value as mcapread.Unknown).
const LostUnknown = mcapread.Unknown

// String formats the warning as "file: [where: ][topic T: ]msg".
func (w Warning) String() string {
	var b strings.Builder
	b.WriteString(w.File)
	b.WriteString(": ")
	if w.Where != "" {
		b.WriteString(w.Where + ": ")
	}
	if w.Topic != "" {
		b.WriteString("topic " + w.Topic + ": ")
	}
	b.WriteString(w.Msg)
	return b.String()
}

// Bag is an open rosbag2 bag (a folder or a single storage file). Its
// messages are read with Next (decoded) or NextRaw (as stored), not both.
// It is not safe for concurrent use.
type Bag struct {
	path     string
	name     string
	opts     Options
	meta     *Metadata
	storage  Storage
	files    []*File
	topics   []*Topic
	byName   map[string]*Topic
	warnings []Warning
	tmp      string
	zdec     *zstd.Decoder

	cursors []cursor
	heads   []rawMsg
	live    []bool
	started bool
	stats   Stats
	decs    decode.Decoders
	views   map[*Topic]chanView // Channels' view of each topic
	msg     mcapread.Message    // NextMessage's
}

// Stats count what Next did.
type Stats = decode.Stats

// Magic numbers of the formats a bag's files are detected by.
var (
	sqliteMagic = []byte("SQLite format 3\x00")
	zstdMagic   = []byte{0x28, 0xb5, 0x2f, 0xfd}
	mcapMagic   = []byte{0x89, 'M', 'C', 'A', 'P', 0x30, '\r', '\n'}
)

// Open opens a rosbag2 bag: a folder holding metadata.yaml and its
// storage files (or only storage files, taken in the order of their
// numeric suffix), or a single .db3, .db3.zstd or .mcap file. Formats are
// told by content, not by name. Close removes the temporary files.
func Open(path string, opts Options) (*Bag, error) {
	b := &Bag{path: path, name: opts.Name, opts: opts, byName: map[string]*Topic{}}
	if b.name == "" {
		b.name = path
	}
	if err := b.open(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bag) open() error {
	st, err := os.Stat(b.path)
	if err != nil {
		return fmt.Errorf("rosbag2: %w", err)
	}
	var paths []string
	if st.IsDir() {
		paths, err = b.folderFiles()
		if err != nil {
			return err
		}
	} else {
		paths = []string{b.path}
	}
	for _, p := range paths {
		f, err := b.openFile(p)
		if err != nil {
			if len(paths) == 1 {
				return err
			}
			b.lose(p, "", "", "storage file skipped: "+err.Error(), LostUnknown, true)
			continue
		}
		b.files = append(b.files, f)
	}
	if len(b.files) == 0 {
		return fmt.Errorf("rosbag2: %s: no storage file could be read", b.name)
	}
	b.storage = b.files[0].Storage
	for _, f := range b.files[1:] {
		if f.Storage != b.storage {
			return fmt.Errorf("rosbag2: %s: mixes %s and %s storage files (%s)", b.name, b.storage, f.Storage, f.name)
		}
	}
	if b.meta != nil && b.meta.StorageIdentifier != "" && Storage(b.meta.StorageIdentifier) != b.storage {
		b.warn(filepath.Join(b.path, "metadata.yaml"), "", "", fmt.Sprintf("storage_identifier %q but the files hold %s storage: read as %s", b.meta.StorageIdentifier, b.storage, b.storage))
	}
	b.checkMetadataTopics()
	for _, t := range b.topics {
		b.resolve(t)
		if t.Count == 0 || b.storage != SQLite {
			continue
		}
		for _, f := range b.files {
			if data := b.firstData(f, t); data != nil {
				if t.check(data) {
					b.warn(f.name, "", t.Name, "definition: "+t.DefinitionNote)
				}
				break
			}
		}
	}
	for _, t := range b.topics {
		switch {
		case t.Definition == DefinitionNone && t.Count > 0:
			b.lose(b.name, "", t.Name, fmt.Sprintf("%d messages not decoded: %s", t.Count, t.DefinitionNote), int(t.Count), false)
		case t.Definition == DefinitionBundled:
			b.warn(b.name, "", t.Name, fmt.Sprintf("definition of %s taken from rigsync's bundled ROS 2 .msg files (the bag stores none that fits)", t.Type))
		case t.Definition == DefinitionOptions:
			b.warn(b.name, "", t.Name, fmt.Sprintf("definition of %s taken from Options.Definitions (the bag stores none that fits)", t.Type))
		}
	}
	return nil
}

// folderFiles reads metadata.yaml (when present) and returns the storage
// files in reading order.
func (b *Bag) folderFiles() ([]string, error) {
	mpath := filepath.Join(b.path, "metadata.yaml")
	data, err := os.ReadFile(mpath)
	switch {
	case err == nil:
		m, notes, err := ParseMetadata(data)
		if err != nil {
			return nil, fmt.Errorf("rosbag2: %s: %w", mpath, err)
		}
		b.meta = m
		for _, n := range notes {
			b.warn(mpath, "", "", n)
		}
		var out []string
		for _, rel := range m.RelativeFilePaths {
			p, ok := resolvePath(b.path, rel, m.Version)
			if !ok {
				b.lose(mpath, "", "", fmt.Sprintf("storage file %q listed but not found (tried %s): its messages are missing", rel, strings.Join(pathCandidates(b.path, rel, m.Version), ", ")), LostUnknown, false)
				continue
			}
			out = append(out, p)
		}
		if len(m.RelativeFilePaths) == 0 {
			return nil, fmt.Errorf("rosbag2: %s: lists no storage file", mpath)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("rosbag2: %s: none of the storage files it lists exists (%s)", mpath, strings.Join(m.RelativeFilePaths, ", "))
		}
		return out, nil
	case errors.Is(err, fs.ErrNotExist):
		ents, err := os.ReadDir(b.path)
		if err != nil {
			return nil, fmt.Errorf("rosbag2: %w", err)
		}
		var out []string
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			p := filepath.Join(b.path, e.Name())
			if k := sniff(p); k != "" {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("rosbag2: %s: no metadata.yaml and no SQLite, MCAP or zstd storage file", b.path)
		}
		SortFiles(out)
		b.warn(b.path, "", "", fmt.Sprintf("no metadata.yaml: read %d storage file(s) in the order of their numeric suffix", len(out)))
		return out, nil
	default:
		return nil, fmt.Errorf("rosbag2: %w", err)
	}
}

// pathCandidates lists where a relative_file_paths entry may be: in the
// folder, in its parent (v<4 paths are relative to it), and by base name.
func pathCandidates(dir, rel string, version int) []string {
	c := []string{filepath.Join(dir, rel)}
	if version < 4 {
		c = append(c, filepath.Join(filepath.Dir(dir), rel))
	}
	if base := filepath.Join(dir, filepath.Base(rel)); !slices.Contains(c, base) {
		c = append(c, base)
	}
	return c
}

func resolvePath(dir, rel string, version int) (string, bool) {
	for _, p := range pathCandidates(dir, rel, version) {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// sniff tells a storage file by its first bytes: "sqlite", "mcap",
// "zstd" or "".
func sniff(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	return sniffHead(head[:n])
}

func sniffHead(head []byte) string {
	switch {
	case bytes.HasPrefix(head, sqliteMagic):
		return "sqlite"
	case bytes.HasPrefix(head, mcapMagic):
		return "mcap"
	case bytes.HasPrefix(head, zstdMagic):
		return "zstd"
	}
	return ""
}

// SortFiles sorts storage file paths by the number after their last '_'
// (NAME_10 after NAME_9, never lexically); files without one come after,
// by name.
func SortFiles(paths []string) {
	slices.SortStableFunc(paths, func(a, b string) int {
		na, oka := fileIndex(a)
		nb, okb := fileIndex(b)
		switch {
		case oka && okb && na != nb:
			if na < nb {
				return -1
			}
			return 1
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
}

// fileIndex is the split index of a storage file name: NAME_<n>.ext[.zstd].
func fileIndex(p string) (int, bool) {
	base := filepath.Base(p)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	i := strings.LastIndexByte(base, '_')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(base[i+1:])
	return n, err == nil && n >= 0
}

// openFile opens one storage file by its content.
func (b *Bag) openFile(path string) (*File, error) {
	f := &File{Path: path, name: path, open: path}
	kind := sniff(path)
	if kind == "zstd" {
		f.FileCompressed = true
		tmp, err := b.decompress(path)
		if tmp == "" {
			return nil, err
		}
		if err != nil {
			b.lose(path, "", "", fmt.Sprintf("zstd stream damaged (%v): reading what was decompressed before the damage", err), LostUnknown, true)
		}
		f.open = tmp
		if st, err := os.Stat(tmp); err == nil {
			f.DecompressedSize = st.Size()
		}
		kind = sniff(tmp)
	} else if b.meta.fileCompressed() {
		b.warn(path, "", "", "metadata says FILE compression but the file is not zstd: read as is")
	}
	switch kind {
	case "sqlite":
		f.Storage = SQLite
		if err := b.openSQLite(f); err != nil {
			return nil, err
		}
	case "mcap":
		f.Storage = MCAP
		if err := b.openMCAP(f); err != nil {
			return nil, err
		}
	default:
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("rosbag2: %w", err)
		}
		return nil, fmt.Errorf("rosbag2: %s: neither a SQLite database, an MCAP file nor a zstd-compressed one", path)
	}
	return f, nil
}

// tempDir returns the bag's temporary folder, made on first use.
func (b *Bag) tempDir() (string, error) {
	if b.tmp == "" {
		d, err := os.MkdirTemp(b.opts.TempDir, "rigsync-rosbag2-")
		if err != nil {
			return "", fmt.Errorf("rosbag2: temporary folder: %w", err)
		}
		b.tmp = d
	}
	return b.tmp, nil
}

// decompress stream-decompresses a zstd file into the temporary folder.
// It returns the temporary path ("" when nothing usable was written) and
// the error that ended the stream early, if any.
func (b *Bag) decompress(path string) (string, error) {
	dir, err := b.tempDir()
	if err != nil {
		return "", err
	}
	in, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("rosbag2: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, strings.TrimSuffix(filepath.Base(path), ".zstd")+".*")
	if err != nil {
		return "", fmt.Errorf("rosbag2: %w", err)
	}
	defer out.Close()
	zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
	if err != nil {
		return "", fmt.Errorf("rosbag2: %s: zstd: %w", path, err)
	}
	defer zr.Close()
	n, cerr := io.Copy(out, zr)
	if cerr != nil {
		if n < int64(len(sqliteMagic)) {
			return "", fmt.Errorf("rosbag2: %s: zstd: %w", path, cerr)
		}
		return out.Name(), fmt.Errorf("zstd after %d decompressed bytes: %w", n, cerr)
	}
	return out.Name(), nil
}

// warn records a warning.
func (b *Bag) warn(file, where, topic, msg string) {
	b.warnings = append(b.warnings, Warning{File: file, Where: where, Topic: topic, Msg: msg})
}

// lose records a warning about lost messages (lost: LostUnknown when
// unknown); stopped says the file's reading stopped there.
func (b *Bag) lose(file, where, topic, msg string, lost int, stopped bool) {
	b.warnings = append(b.warnings, Warning{File: file, Where: where, Topic: topic, Msg: msg, Lost: lost, Stopped: stopped})
}

// topic returns the topic of that name, adding it on first sight.
func (b *Bag) topic(file, name, typ, format string) *Topic {
	if t, ok := b.byName[name]; ok {
		if t.Type != typ && typ != "" {
			b.warn(file, "", name, fmt.Sprintf("type %s here but %s in an earlier file: decoded as %s", typ, t.Type, t.Type))
		}
		return t
	}
	t := &Topic{Name: name, Type: typ, SerializationFormat: format}
	b.byName[name] = t
	b.topics = append(b.topics, t)
	return t
}

// checkMetadataTopics compares metadata.yaml's topics with the storage's.
func (b *Bag) checkMetadataTopics() {
	if b.meta == nil {
		return
	}
	mpath := filepath.Join(b.path, "metadata.yaml")
	for _, mt := range b.meta.Topics {
		t, ok := b.byName[mt.Name]
		switch {
		case !ok:
			b.warn(mpath, "", mt.Name, "listed in metadata.yaml but not in the storage files")
		case mt.Type != t.Type:
			b.warn(mpath, "", mt.Name, fmt.Sprintf("metadata.yaml says type %s, the storage %s: the storage's is used", mt.Type, t.Type))
		}
		if ok {
			if t.OfferedQoS == "" {
				t.OfferedQoS = mt.OfferedQoS
			}
			if t.TypeDescriptionHash == "" {
				t.TypeDescriptionHash = mt.TypeDescriptionHash
			}
		}
	}
}

// resolve builds a topic's definition candidates: the bag's own, the
// bundled one, the Options one. The first that parses is used until a
// message proves it wrong (see check).
func (b *Bag) resolve(t *Topic) {
	if t.SerializationFormat != "cdr" {
		t.Definition = DefinitionNone
		t.DefinitionNote = fmt.Sprintf("serialization format %q is not cdr", t.SerializationFormat)
		return
	}
	var notes []string
	if t.stored != nil || t.storedEnc != "" {
		switch t.storedEnc {
		case "ros2msg":
			t.candidates = append(t.candidates, candidate{src: DefinitionBag, data: t.stored})
		case "", "unknown":
			notes = append(notes, "the bag stores no definition text")
		default:
			notes = append(notes, fmt.Sprintf("the bag's definition is %s, which rigsync does not parse", t.storedEnc))
		}
	}
	if _, data, err := rosenc.Schema(t.Type); err == nil {
		t.candidates = append(t.candidates, candidate{src: DefinitionBundled, data: data})
	}
	if b.opts.Definitions != nil {
		if _, data, err := rosenc.SchemaFS(overlay{b.opts.Definitions, rosenc.Schemas}, t.Type); err == nil {
			t.candidates = append(t.candidates, candidate{src: DefinitionOptions, data: data})
		}
	}
	for i := range t.candidates {
		c := &t.candidates[i]
		ch, sc := t.channel(c)
		if _, err := decode.New(ch, sc); err != nil {
			c.note = err.Error()
		}
	}
	t.pick(notes)
}

// channel returns the MCAP channel and schema a candidate decodes as.
func (t *Topic) channel(c *candidate) (*mcap.Channel, *mcap.Schema) {
	ch := &mcap.Channel{Topic: t.Name, MessageEncoding: "cdr", Metadata: map[string]string{}}
	sc := &mcap.Schema{Name: t.Type, Encoding: "ros2msg", Data: c.data}
	return ch, sc
}

// pick chooses the first usable candidate and writes the note.
func (t *Topic) pick(notes []string) {
	t.Definition, t.ch, t.sc = DefinitionNone, nil, nil
	for i := range t.candidates {
		c := &t.candidates[i]
		if c.note != "" {
			notes = append(notes, fmt.Sprintf("%s definition not usable: %s", c.src, c.note))
			continue
		}
		t.Definition = c.src
		t.ch, t.sc = t.channel(c)
		break
	}
	if t.Definition == DefinitionNone {
		notes = append(notes, fmt.Sprintf("unknown type: %s on %s (no definition that fits in the bag, rigsync's bundled ROS 2 .msg files or Options.Definitions)", t.Type, t.Name))
	}
	t.DefinitionNote = strings.Join(notes, "; ")
}

// check tries the chosen definition on a message of the topic. A
// definition that does not decode it is dropped for the next candidate
// that does (the bag's own definition can be wrong: hand-edited stubs).
// It reports whether the definition changed.
func (t *Topic) check(data []byte) bool {
	if t.checked || t.Definition == DefinitionNone {
		return false
	}
	t.checked = true
	changed := false
	for {
		var cur *candidate
		for i := range t.candidates {
			if t.candidates[i].note == "" {
				cur = &t.candidates[i]
				break
			}
		}
		if cur == nil {
			break
		}
		ch, sc := t.channel(cur)
		d, err := decode.New(ch, sc)
		if err == nil {
			if _, err = d.Decode(data); err == nil {
				break
			}
		}
		cur.note = "does not decode the topic's first message: " + err.Error()
		changed = true
	}
	if changed {
		t.pick(nil)
	}
	return changed
}

// Name returns the bag's name (Options.Name, else the path).
func (b *Bag) Name() string { return b.name }

// Metadata returns the parsed metadata.yaml (nil when the bag has none).
func (b *Bag) Metadata() *Metadata { return b.meta }

// Storage returns the bag's storage.
func (b *Bag) Storage() Storage { return b.storage }

// Files returns the storage files in reading order.
func (b *Bag) Files() []File {
	out := make([]File, len(b.files))
	for i, f := range b.files {
		out[i] = *f
		out[i].sq, out[i].mc = nil, nil
	}
	return out
}

// Topics returns the bag's topics in the order first seen (storage order
// within a file, files in reading order), known before any message is
// read.
func (b *Bag) Topics() []Topic {
	out := make([]Topic, len(b.topics))
	for i, t := range b.topics {
		out[i] = Topic{Name: t.Name, Type: t.Type, SerializationFormat: t.SerializationFormat, Count: t.Count,
			DefinitionStored: t.DefinitionStored, Definition: t.Definition, DefinitionNote: t.DefinitionNote,
			OfferedQoS: t.OfferedQoS, TypeDescriptionHash: t.TypeDescriptionHash}
	}
	return out
}

// Warnings returns the problems met so far, in the order met.
func (b *Bag) Warnings() []Warning { return slices.Clone(b.warnings) }

// Stats returns what Next did so far.
func (b *Bag) Stats() Stats { return b.stats }

// Close closes the storage files and removes the temporary files.
func (b *Bag) Close() error {
	var errs []error
	for _, c := range b.cursors {
		if c != nil {
			c.close()
		}
	}
	b.cursors = nil
	for _, f := range b.files {
		if f.closed {
			continue
		}
		f.closed = true
		if f.sq != nil {
			errs = append(errs, f.sq.close())
		}
		if f.mc != nil {
			errs = append(errs, f.mc.close())
		}
	}
	if b.zdec != nil {
		b.zdec.Close()
		b.zdec = nil
	}
	if b.tmp != "" {
		errs = append(errs, os.RemoveAll(b.tmp))
		b.tmp = ""
	}
	return errors.Join(errs...)
}

// overlay is an fs.FS that opens from its first tree, else its second:
// custom .msg files whose dependencies are bundled ones.
type overlay [2]fs.FS

func (o overlay) Open(name string) (fs.File, error) {
	f, err := o[0].Open(name)
	if err == nil {
		return f, nil
	}
	return o[1].Open(name)
}

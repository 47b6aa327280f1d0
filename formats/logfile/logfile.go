// Package logfile opens a drive log whatever its format — an MCAP file, a
// ROS 1 bag (format 2.0), a rosbag2 bag (a folder with metadata.yaml and
// its storage files, or a single .db3, .db3.zstd or .mcap storage file) —
// told from its content (magic bytes, folder layout), never from its
// name. A Log gives what the log knows before reading (Catalog,
// Channels, Statistics), any number of reading passes (Messages: the
// messages as stored, with the MCAP channel and schema that decode them;
// Source: decoded formats.Messages), and the reader's warnings (what was
// lost, where) in the MCAP reader's shape, so that every command reads
// and reports every format alike.
//
// Times are log times: int64 ns since the epoch on the recorder's clock
// (MCAP log_time, ROS 1 bag record time, rosbag2 receive timestamp).
package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

// Format is a log format.
type Format string

// The formats Open reads.
const (
	MCAP    Format = "mcap"
	ROS1Bag Format = "ros1-bag"
	ROS2Bag Format = "rosbag2"
)

// Describe names the format for people.
func (f Format) Describe() string {
	switch f {
	case MCAP:
		return "MCAP"
	case ROS1Bag:
		return "ROS 1 bag (format 2.0)"
	case ROS2Bag:
		return "rosbag2 bag"
	}
	return string(f)
}

// Options configure Open.
type Options struct {
	// Name names the log in errors and warnings (the path when empty).
	Name string
	// TempDir is where a rosbag2 bag's zstd-compressed storage files are
	// decompressed (os.TempDir() when empty); see rosbag2.Options.
	TempDir string
}

// Log is an open log. It is not safe for concurrent use.
type Log struct {
	path, name string
	format     Format
	opts       Options
	mc         *mcapread.Reader
	file       *os.File     // the file Open opened (MCAP, ROS 1 bag)
	read       atomic.Int64 // BytesRead
	b1         *rosbag1.Reader
	b2         *rosbag2.Bag   // the bag the catalog comes from
	b2Used     bool           // b2 has been read: a pass opens the bag again
	passes     []*rosbag2.Bag // rosbag2 bags opened for passes
	size       int64
}

// Sniff reports the format of the log at path when its content says it is
// one Open reads (the magic bytes, or a folder with metadata.yaml or
// rosbag2 storage files); false for anything else (a calibration file, a
// missing path).
func Sniff(path string) (Format, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return "", false
		}
		for _, e := range ents {
			n := strings.ToLower(e.Name())
			if n == "metadata.yaml" || strings.HasSuffix(n, ".db3") || strings.HasSuffix(n, ".db3.zstd") || strings.HasSuffix(n, ".mcap") || strings.HasSuffix(n, ".mcap.zstd") {
				return ROS2Bag, true
			}
		}
		return "", false
	}
	f, err := Detect(path)
	if err != nil || f != MCAP {
		return f, err == nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer fh.Close()
	head := make([]byte, 5)
	n, _ := io.ReadFull(fh, head)
	return MCAP, bytes.Equal(head[:n], []byte("\x89MCAP"))
}

// Detect tells the format of the log at path from its content: a folder
// is a rosbag2 bag; a file starting with the MCAP magic is MCAP, with
// "#ROSBAG V2.0" a ROS 1 bag, with the SQLite or zstd magic a rosbag2
// storage file. Anything else is an error; a format rigsync does not read
// (an older ROS 1 bag) is an *mcapread.FormatError naming it.
func Detect(path string) (Format, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("logfile: %w", err)
	}
	if st.IsDir() {
		return ROS2Bag, nil
	}
	// A named pipe is refused before it is opened: opening a FIFO that no
	// process writes blocks in open(2), beyond the reach of Ctrl-C.
	if err := mcapread.CheckRegular(path, st); err != nil {
		return "", fmt.Errorf("logfile: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("logfile: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("\x89MCAP")):
		return MCAP, nil
	case formats.IsBag(head):
		return ROS1Bag, nil
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")), bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return ROS2Bag, nil
	}
	if fe := mcapread.DetectFormat(path); fe != nil {
		return "", fe
	}
	return MCAP, nil // let the MCAP reader say what is wrong with it
}

// Open opens the log at path (see Detect).
func Open(path string, o Options) (*Log, error) {
	format, err := Detect(path)
	if err != nil {
		return nil, err
	}
	l := &Log{path: path, name: o.Name, format: format, opts: o}
	if l.name == "" {
		l.name = path
	}
	switch format {
	case MCAP, ROS1Bag:
		if err := l.openFile(); err != nil {
			return nil, err
		}
	case ROS2Bag:
		b, err := rosbag2.Open(path, rosbag2.Options{Name: l.name, TempDir: o.TempDir})
		if err != nil {
			return nil, err
		}
		l.b2 = b
		for _, f := range b.Files() {
			if st, err := os.Stat(f.Path); err == nil {
				l.size += st.Size()
			}
		}
	}
	return l, nil
}

// openFile opens an MCAP file or a ROS 1 bag through a reader that
// counts the bytes read (BytesRead).
func (l *Log) openFile() error {
	f, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("logfile: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("logfile: %w", err)
	}
	cf := &countingFile{File: f, n: &l.read}
	l.size, l.file = st.Size(), f
	if l.format == ROS1Bag {
		l.b1, err = rosbag1.NewReader(cf, st.Size(), l.path)
	} else {
		l.mc, err = mcapread.NewReader(cf, st.Size(), l.path)
	}
	if err != nil {
		f.Close()
		if l.format == MCAP {
			if fe := mcapread.DetectFormat(l.path); fe != nil {
				return fe
			}
		}
		return err
	}
	return nil
}

// countingFile is a file whose ReadAt counts the bytes read.
type countingFile struct {
	*os.File
	n *atomic.Int64
}

func (f *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.n.Add(int64(n))
	return n, err
}

// BytesRead returns how many bytes reading the log has cost so far:
// bytes read from the file (MCAP, ROS 1 bag: the index, the summary, every
// chunk decompressed), or for a rosbag2 bag the message bytes its storage
// returned (the SQLite pages read are not counted). A log-time window read
// through the index costs about the window's share of the file.
func (l *Log) BytesRead() int64 { return l.read.Load() }

// FromMCAP returns r as a Log (named name, r's name when empty); closing
// the Log does not close r.
func FromMCAP(r *mcapread.Reader, name string) *Log {
	if name == "" {
		name = r.Name()
	}
	return &Log{path: r.Name(), name: name, format: MCAP, mc: r, size: r.Size()}
}

// Name returns the log's name (Options.Name, else the path).
func (l *Log) Name() string { return l.name }

// Path returns the path the log was opened from.
func (l *Log) Path() string { return l.path }

// Format returns the log's format.
func (l *Log) Format() Format { return l.format }

// Size returns the log's size in bytes (a rosbag2 bag: its storage
// files').
func (l *Log) Size() int64 { return l.size }

// MCAP returns the MCAP reader of an MCAP log (nil for a bag), for what
// only MCAP has: chunks, the summary section, compression statistics.
func (l *Log) MCAP() *mcapread.Reader { return l.mc }

// ROS1 returns the reader of a ROS 1 bag (nil otherwise).
func (l *Log) ROS1() *rosbag1.Reader { return l.b1 }

// ROS2 returns the rosbag2 bag the catalog was read from (nil otherwise).
func (l *Log) ROS2() *rosbag2.Bag { return l.b2 }

// Catalog returns the log's topics sorted by name (see formats.TopicInfo).
func (l *Log) Catalog() []formats.TopicInfo {
	switch {
	case l.mc != nil:
		return mcapsource.CatalogOf(l.mc.Channels(), l.mc.Statistics())
	case l.b1 != nil:
		return l.b1.Catalog()
	default:
		return l.b2.Catalog()
	}
}

// Channels returns the log's channels as MCAP channels, sorted by topic
// then id (a bag's connections or topics with the schema that decodes
// them; see rosbag1.Connection.Channel and rosbag2.Bag.Channels).
func (l *Log) Channels() []mcapread.Channel {
	switch {
	case l.mc != nil:
		return l.mc.Channels()
	case l.b1 != nil:
		return l.b1.Channels()
	default:
		return l.b2.Channels()
	}
}

// Statistics returns the log's counts in the shape of an MCAP Statistics
// record, per channel of Channels. For a rosbag2 bag the time range is
// metadata.yaml's, when it has one.
func (l *Log) Statistics() *mcap.Statistics {
	switch {
	case l.mc != nil:
		return l.mc.Statistics()
	case l.b1 != nil:
		return l.b1.Statistics()
	}
	st := &mcap.Statistics{ChannelMessageCounts: map[uint16]uint64{}}
	for _, ch := range l.b2.Channels() {
		st.ChannelCount++
		for _, t := range l.b2.Catalog() {
			if t.Topic == ch.Topic && t.Count > 0 {
				st.ChannelMessageCounts[ch.ID] = uint64(t.Count)
				st.MessageCount += uint64(t.Count)
			}
		}
	}
	if m := l.b2.Metadata(); m != nil && m.Start > 0 {
		st.MessageStartTime, st.MessageEndTime = uint64(m.Start), uint64(m.Start+m.Duration)
	}
	return st
}

// Iterator yields the messages of one pass (Log.Messages).
type Iterator struct {
	next func() (*mcapread.Message, error)
}

// Next returns the next message, or io.EOF after the last one. The
// message and its Data are valid until the next call.
func (it *Iterator) Next() (*mcapread.Message, error) { return it.next() }

// Messages starts a reading pass over the messages selected by o (topics,
// a log-time range [Start, End), read-ahead), in log-time order, as
// stored, each with the MCAP channel and schema that decode it (one of
// Channels). An MCAP log and a ROS 1 bag skip the chunks the selection
// does not touch through their index; a rosbag2 bag reads only the
// selected topics and skips the messages outside the range.
func (l *Log) Messages(o mcapread.Options) (*Iterator, error) {
	switch {
	case l.mc != nil:
		it, err := l.mc.Messages(o)
		if err != nil {
			return nil, err
		}
		return &Iterator{next: it.Next}, nil
	case l.b1 != nil:
		ahead := -1
		if o.ReadAhead {
			ahead = 0
		}
		it, err := l.b1.Messages(rosbag1.Options{Topics: o.Topics, Start: o.Start, End: o.End, ReadAhead: ahead})
		if err != nil {
			return nil, fmt.Errorf("rosbag1: %s: %w", l.name, err)
		}
		var msg mcapread.Message
		return &Iterator{next: func() (*mcapread.Message, error) {
			m, err := it.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					err = fmt.Errorf("rosbag1: %s: %w", l.name, err)
				}
				return nil, err
			}
			ch := m.Conn.Channel()
			msg = mcapread.Message{Channel: ch, Message: mcap.Message{ChannelID: ch.ID, LogTime: uint64(m.LogTime), PublishTime: uint64(m.LogTime), Data: m.Data}}
			return &msg, nil
		}}, nil
	}
	b, err := l.pass(topicFilter(o.Topics), o.Start, o.End)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	return &Iterator{next: func() (*mcapread.Message, error) {
		m, err := b.NextMessage(ctx)
		if err == nil {
			l.read.Add(int64(len(m.Data)))
		}
		return m, err
	}}, nil
}

// topicFilter is a rosbag2 Want keeping topics (all when empty).
func topicFilter(topics []string) func(*rosbag2.Topic) bool {
	if len(topics) == 0 {
		return nil
	}
	keep := map[string]bool{}
	for _, t := range topics {
		keep[t] = true
	}
	return func(t *rosbag2.Topic) bool { return keep[t.Name] }
}

// pass returns a rosbag2 bag to read once: the catalog's bag the first
// time (when it keeps every topic and time), else the bag opened again
// with the selection.
func (l *Log) pass(want func(*rosbag2.Topic) bool, start, end int64) (*rosbag2.Bag, error) {
	if !l.b2Used && want == nil && start <= 0 && end <= 0 {
		l.b2Used = true
		return l.b2, nil
	}
	b, err := rosbag2.Open(l.path, rosbag2.Options{Name: l.name, TempDir: l.opts.TempDir, Want: want, Start: start, End: end})
	if err != nil {
		return nil, err
	}
	l.passes = append(l.passes, b)
	return b, nil
}

// SourceOptions configure Log.Source.
type SourceOptions struct {
	// Read selects the messages read (topics, log-time range, read-ahead).
	Read mcapread.Options
	// Want, when set, keeps only the messages of the topics (MCAP: the
	// channels) it returns true for; the others are not decoded. It is
	// asked once per channel.
	Want func(formats.TopicInfo) bool
}

// Source starts a reading pass that decodes the messages (formats/decode,
// the same typed payloads for every format): an mcapsource.Source, a
// rosbag1.Source or a rosbag2.Bag. It is named by the Log's name and
// implements formats.Catalog.
func (l *Log) Source(o SourceOptions) (formats.Source, error) {
	switch {
	case l.mc != nil:
		var want func(*mcapread.Channel) bool
		if o.Want != nil {
			want = func(ch *mcapread.Channel) bool { return o.Want(mcapsource.InfoOf(ch)) }
		}
		return mcapsource.New(l.mc, mcapsource.Options{Name: l.name, Read: o.Read, Want: want})
	case l.b1 != nil:
		var want func(*rosbag1.Connection) bool
		if o.Want != nil {
			want = func(c *rosbag1.Connection) bool { return o.Want(mcapsource.InfoOf(c.Channel())) }
		}
		ahead := -1
		if o.Read.ReadAhead {
			ahead = 0
		}
		return rosbag1.NewSource(l.b1, rosbag1.SourceOptions{Name: l.name, Want: want,
			Read: rosbag1.Options{Topics: o.Read.Topics, Start: o.Read.Start, End: o.Read.End, ReadAhead: ahead}})
	}
	var info map[string]formats.TopicInfo
	want := topicFilter(o.Read.Topics)
	if o.Want != nil {
		info = map[string]formats.TopicInfo{}
		for _, t := range l.b2.Catalog() {
			info[t.Topic] = t
		}
		byTopic := want
		want = func(t *rosbag2.Topic) bool {
			return (byTopic == nil || byTopic(t)) && o.Want(info[t.Name])
		}
	}
	return l.pass(want, o.Read.Start, o.Read.End)
}

// Warnings returns the problems met so far by every pass, in the MCAP
// reader's shape (File is the Log's name for a single file, the storage
// file for a rosbag2 folder), each once. Damage inside chunks is found
// when they are read: read the warnings after the messages.
func (l *Log) Warnings() []mcapread.Warning {
	switch {
	case l.mc != nil:
		return l.mc.Warnings()
	case l.b1 != nil:
		return l.b1.Warnings()
	}
	var out []mcapread.Warning
	seen := map[string]bool{}
	for _, b := range append([]*rosbag2.Bag{l.b2}, l.passes...) {
		for _, w := range b.Warnings() {
			if k := w.String(); !seen[k] {
				seen[k] = true
				out = append(out, warningOf(w))
			}
		}
	}
	return out
}

// warningOf converts a rosbag2 warning: Offset -1 unless it names one
// ("offset N"; a row or other place is kept in the message), its lost
// count and whether reading stopped as rosbag2 says.
func warningOf(w rosbag2.Warning) mcapread.Warning {
	out := mcapread.Warning{File: w.File, Offset: -1, Topic: w.Topic, Msg: w.Msg, LostMessages: w.Lost, Stopped: w.Stopped}
	if where, ok := strings.CutPrefix(w.Where, "offset "); ok {
		if off, err := strconv.ParseInt(where, 10, 64); err == nil {
			out.Offset = off
		}
	} else if w.Where != "" {
		out.Msg = w.Where + ": " + w.Msg
	}
	return out
}

// Close closes the log (and removes a rosbag2 bag's temporary files).
func (l *Log) Close() error {
	var errs []error
	if l.file != nil {
		errs = append(errs, l.file.Close())
		l.file = nil
	}
	if l.b2 != nil {
		errs = append(errs, l.b2.Close())
	}
	for _, b := range l.passes {
		errs = append(errs, b.Close())
	}
	l.passes = nil
	return errors.Join(errs...)
}

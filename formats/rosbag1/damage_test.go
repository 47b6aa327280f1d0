package rosbag1_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// located is a message with the chunk that holds it.
type located struct {
	rec
	chunk int64
}

// readLocated reads every message of the bag b with its chunk.
func readLocated(t testing.TB, b []byte) ([]located, *rosbag1.Reader, error) {
	t.Helper()
	r, err := rosbag1.NewReader(bytes.NewReader(b), int64(len(b)), "cut.bag")
	if err != nil {
		return nil, nil, err
	}
	it, err := r.Messages(rosbag1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []located
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			return out, r, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, located{rec{m.Conn.Topic, m.Conn.ID, m.LogTime, string(m.Data)}, m.Chunk})
	}
}

// indexPos returns the bag header's index_pos.
func indexPos(t testing.TB, b []byte) int64 {
	t.Helper()
	i := bytes.Index(b[:4117], []byte("index_pos="))
	if i < 0 {
		t.Fatal("no index_pos")
	}
	return int64(binary.LittleEndian.Uint64(b[i+len("index_pos="):]))
}

// checkCuts cuts the bag full at each offset and checks that the reader
// does not fail, keeps every message of every chunk that lies whole before
// the cut, yields nothing that is not in the bag, in time order, and warns.
func checkCuts(t *testing.T, full []byte, offs []int64) {
	want, r, err := readLocated(t, full)
	if err != nil {
		t.Fatal(err)
	}
	chunks := r.Chunks()
	all := map[rec]int{}
	for _, m := range want {
		all[m.rec]++
	}
	for _, off := range offs {
		if off < 0 || off >= int64(len(full)) {
			continue
		}
		got, cr, err := readLocated(t, full[:off])
		if err != nil {
			if off < 4117 {
				continue // inside the bag header: not a bag any more
			}
			t.Fatalf("cut at %d: %v", off, err)
		}
		if off < 4117 {
			t.Errorf("cut at %d inside the bag header read without error", off)
		}
		seen := map[rec]int{}
		last := int64(-1 << 63)
		for _, m := range got {
			seen[m.rec]++
			if seen[m.rec] > all[m.rec] {
				t.Fatalf("cut at %d: message %+v not in the bag (or twice)", off, m.rec)
			}
			if m.t < last {
				t.Fatalf("cut at %d: not in time order", off)
			}
			last = m.t
		}
		whole := 0
		for _, c := range chunks {
			if c.Offset+c.Length > off {
				continue
			}
			whole++
			for _, m := range want {
				if m.chunk == c.Offset && seen[m.rec] == 0 {
					t.Fatalf("cut at %d: message %+v of the whole chunk at %d lost", off, m.rec, c.Offset)
				}
			}
		}
		ws := cr.Warnings()
		if len(ws) == 0 {
			t.Errorf("cut at %d: no warning", off)
		}
		ip := indexPos(t, full)
		for _, w := range ws {
			if w.File != "cut.bag" || w.Offset < 0 || (w.Offset > off && w.Offset != ip) {
				t.Errorf("cut at %d: warning %v", off, w)
			}
		}
		if testing.Verbose() && off%7 == 0 {
			t.Logf("cut at %d: %d/%d messages, %d whole chunks; %v", off, len(got), len(want), whole, ws[len(ws)-1])
		}
	}
}

// cutOffsets returns offsets around every chunk's start and end, around
// the index, and every step bytes.
func cutOffsets(t testing.TB, b []byte, step int64) []int64 {
	r, err := rosbag1.NewReader(bytes.NewReader(b), int64(len(b)), "full.bag")
	if err != nil {
		t.Fatal(err)
	}
	offs := []int64{0, 5, 13, 20, 4116, 4117, 4118, 4125}
	for _, c := range r.Chunks() {
		for _, d := range []int64{-1, 0, 1, 30} {
			offs = append(offs, c.Offset+d, c.Offset+c.Length+d)
		}
		offs = append(offs, c.Offset+c.Length/2)
	}
	ip := indexPos(t, b)
	offs = append(offs, ip-1, ip, ip+1, ip+40, int64(len(b))-1)
	for o := int64(4117); step > 0 && o < int64(len(b)); o += step {
		offs = append(offs, o)
	}
	slices.Sort(offs)
	return slices.Compact(offs)
}

// TestTruncated cuts bags at many offsets: synthetic bags of many chunks
// (none, lz4) and the real bags (bz2 with 5 chunks, lz4, none).
func TestTruncated(t *testing.T) {
	for _, comp := range []string{rosbag1.CompressionNone, rosbag1.CompressionLZ4} {
		t.Run("synthetic-"+comp, func(t *testing.T) {
			b := synthBag(t, comp, 2048, 300)
			checkCuts(t, b, cutOffsets(t, b, 997))
		})
	}
	dir, ok := "", false
	t.Run("real", func(t *testing.T) {
		dir, ok = shareddata.Dir(t, "rosbag", "ros1"), true
	})
	if !ok {
		return
	}
	for _, tc := range []struct {
		name string
		step int64
	}{
		{"robot_localization/test2.bag", 0}, // bz2: chunk boundaries only (bz2 decodes at ~5 MB/s)
		{"rosbag.js/example-lz4.bag", 20011},
		{"rosbag.js/example.bag", 30011},
		{"rosbag.js/example-unsorted-chunks.bag", 97},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.step == 0 && (testing.Short() || raceEnabled) {
				t.Skip("bz2 cuts take long under -short and -race (bz2 is read in TestRealBags and TestUnindexed)")
			}
			b, err := os.ReadFile(filepath.Join(dir, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			checkCuts(t, b, cutOffsets(t, b, tc.step))
		})
	}
}

// TestUnindexed: a bag cut exactly at index_pos (chunks whole, index
// lost) and a bag whose header says index_pos 0 are read by a scan of
// their chunks, with every message, and a warning.
func TestUnindexed(t *testing.T) {
	bags := map[string][]byte{
		"none": synthBag(t, rosbag1.CompressionNone, 2048, 300),
		"lz4":  synthBag(t, rosbag1.CompressionLZ4, 2048, 300),
	}
	if dir, ok := sharedROS1(); ok {
		for _, name := range []string{"robot_localization/test2.bag", "rosbag.js/example.bag", "rosbag.js/example-unsorted-chunks.bag",
			"rosbag2_bag_v2/test_bag_multiple_connections.bag"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			bags[name] = b
		}
	}
	for name, full := range bags {
		t.Run(name, func(t *testing.T) {
			want, fr, err := readAll(t, full, rosbag1.Options{})
			if err != nil || !fr.Indexed() {
				t.Fatalf("full bag: %v, indexed %v", err, fr.Indexed())
			}
			ip := indexPos(t, full)
			zero := bytes.Clone(full)
			i := bytes.Index(zero[:4117], []byte("index_pos="))
			binary.LittleEndian.PutUint64(zero[i+len("index_pos="):], 0)
			for variant, b := range map[string][]byte{"cut at index_pos": full[:ip], "index_pos 0": zero} {
				got, r, err := readAll(t, b, rosbag1.Options{})
				if err != nil {
					t.Fatalf("%s: %v", variant, err)
				}
				if r.Indexed() {
					t.Errorf("%s: read as indexed", variant)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %d messages, want the %d of the indexed read, in the same order", variant, len(got), len(want))
				}
				ws := r.Warnings()
				if len(ws) != 1 || ws[0].LostMessages != 0 || !strings.Contains(ws[0].Msg, "scan") {
					t.Errorf("%s: warnings %v, want one naming the scan, nothing lost", variant, ws)
				}
				if st, fst := r.Statistics(), fr.Statistics(); st.MessageCount != fst.MessageCount || st.MessageStartTime != fst.MessageStartTime ||
					st.MessageEndTime != fst.MessageEndTime || len(r.Topics()) != len(fr.Topics()) {
					t.Errorf("%s: statistics %+v, want %+v", variant, st, fst)
				}
			}
		})
	}
}

// sharedROS1 returns the shared ROS 1 bag folder, if present.
func sharedROS1() (string, bool) {
	root, ok := shareddata.Root()
	if !ok {
		return "", false
	}
	d := filepath.Join(root, "rosbag", "ros1")
	_, err := os.Stat(d)
	return d, err == nil
}

// TestKilledRecording: a recorder killed inside a chunk leaves index_pos
// 0 and a last chunk whose header says size 0 and data_len 0, followed by
// unframed records. An uncompressed tail's complete records are read (a
// superset of rosbag reindex); a compressed tail is reported lost.
func TestKilledRecording(t *testing.T) {
	for _, comp := range []string{rosbag1.CompressionNone, rosbag1.CompressionLZ4} {
		t.Run(comp, func(t *testing.T) {
			full := synthBag(t, comp, 2048, 300)
			want, fr, err := readLocated(t, full)
			if err != nil {
				t.Fatal(err)
			}
			chunks := fr.Chunks()
			lastC := chunks[len(chunks)-1]
			// The killed file: everything before the last chunk, with
			// index_pos 0, then the last chunk's header with size 0 and
			// data_len 0, then its records (uncompressed), cut in the
			// middle of one.
			b := bytes.Clone(full[:lastC.Offset])
			i := bytes.Index(b[:4117], []byte("index_pos="))
			binary.LittleEndian.PutUint64(b[i+len("index_pos="):], 0)
			var hdr []byte
			for _, f := range []string{"op=\x05", "compression=" + comp, "size=\x00\x00\x00\x00"} {
				hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(f)))
				hdr = append(hdr, f...)
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
			b = append(b, hdr...)
			b = binary.LittleEndian.AppendUint32(b, 0)
			// The last chunk's uncompressed records.
			var inner []byte
			if comp == rosbag1.CompressionNone {
				start := lastC.Offset + lastC.Length - int64(lastC.Size)
				inner = full[start : lastC.Offset+lastC.Length]
				inner = inner[:len(inner)-10]
			} else {
				inner = []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x60, 0x85} // what a killed lz4 recording leaves
			}
			b = append(b, inner...)
			got, r, err := readLocated(t, b)
			if err != nil {
				t.Fatal(err)
			}
			before := 0
			for _, m := range want {
				if m.chunk != lastC.Offset {
					before++
				}
			}
			if comp == rosbag1.CompressionNone {
				// Every message of the last chunk but the cut one.
				if len(got) != len(want)-1 {
					t.Errorf("%d messages, want %d (all but the cut one)", len(got), len(want)-1)
				}
			} else if len(got) != before {
				t.Errorf("%d messages, want the %d of the complete chunks", len(got), before)
			}
			ws := r.Warnings()
			if len(ws) != 2 || !strings.Contains(ws[1].Msg, "unterminated") || !ws[1].Stopped || ws[1].Offset != lastC.Offset {
				t.Errorf("warnings %v", ws)
			}
		})
	}
}

// TestDamagedChunk: a chunk whose compressed bytes are corrupted is
// skipped with a warning that counts its messages (from the index) and
// names its offset; the other chunks are read.
func TestDamagedChunk(t *testing.T) {
	full := synthBag(t, rosbag1.CompressionLZ4, 2048, 300)
	want, fr, err := readLocated(t, full)
	if err != nil {
		t.Fatal(err)
	}
	c := fr.Chunks()[5]
	b := bytes.Clone(full)
	mid := c.Offset + c.Length - 100
	for i := mid; i < mid+40; i++ {
		b[i] ^= 0x5a
	}
	got, r, err := readLocated(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want)-int(c.Messages) {
		t.Errorf("%d messages, want %d - %d", len(got), len(want), c.Messages)
	}
	ws := r.Warnings()
	if len(ws) != 1 || ws[0].Offset != c.Offset || ws[0].LostMessages != int(c.Messages) || ws[0].LostStart != uint64(c.Start) ||
		!strings.Contains(ws[0].String(), "cut.bag: offset ") {
		t.Errorf("warnings %v, want one at %d losing %d", ws, c.Offset, c.Messages)
	}
}

// TestNotABag: other files are errors that say what they are.
func TestNotABag(t *testing.T) {
	for _, tc := range []struct {
		data, want string
	}{
		{"", "not a ROS 1 bag"},
		{"\x89MCAP0\r\n", "not a ROS 1 bag"},
		{"#ROSBAG V1.3\n", "older format"},
		{"#ROSRECORD V1.2\n", "older format"},
		{"#ROSBAG V2.0\n", "bag header record"},
		{"#ROSBAG V2.0\n\x10\x00\x00\x00\x0c\x00\x00\x00encryptor=aes\x00\x00\x00\x00", "op field"},
	} {
		_, err := rosbag1.NewReader(strings.NewReader(tc.data), int64(len(tc.data)), "x.bag")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.bag") {
			t.Errorf("%q: %v, want an error naming x.bag and %q", tc.data, err, tc.want)
		}
	}
	// An encrypted bag is refused, naming the encryptor.
	var h []byte
	for _, f := range []string{"op=\x03", "encryptor=rosbag/AesCbcEncryptor", "index_pos=\x00\x00\x00\x00\x00\x00\x00\x00"} {
		h = binary.LittleEndian.AppendUint32(h, uint32(len(f)))
		h = append(h, f...)
	}
	b := append([]byte("#ROSBAG V2.0\n"), binary.LittleEndian.AppendUint32(nil, uint32(len(h)))...)
	b = append(append(b, h...), 0, 0, 0, 0)
	if _, err := rosbag1.NewReader(bytes.NewReader(b), int64(len(b)), "x.bag"); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("encrypted bag: %v", err)
	}
}

// failingReader fails every read that touches the byte at offset bad.
type failingReader struct {
	b   []byte
	bad int64
}

var errDisk = errors.New("disk on fire")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off <= f.bad && f.bad < off+int64(len(p)) {
		return 0, errDisk
	}
	return copy(p, f.b[off:]), nil
}

// TestIOError: an error reading the file is not damage: opening fails
// when the index or (unindexed) a record cannot be read, and the Source
// returns the error of a chunk that cannot be read, naming the file and
// the chunk's offset, and keeps returning it.
func TestIOError(t *testing.T) {
	b := synthBag(t, rosbag1.CompressionLZ4, 2048, 300)
	r, err := rosbag1.NewReader(bytes.NewReader(b), int64(len(b)), "good.bag")
	if err != nil {
		t.Fatal(err)
	}
	third := r.Chunks()[2].Offset
	ip := indexPos(t, b)
	if _, err := rosbag1.NewReader(failingReader{b, ip + 10}, int64(len(b)), "disk.bag"); !errors.Is(err, errDisk) ||
		!strings.Contains(err.Error(), "disk.bag") {
		t.Errorf("index unreadable: %v", err)
	}
	if _, err := rosbag1.NewReader(failingReader{b[:ip], third + 2}, ip, "disk.bag"); !errors.Is(err, errDisk) ||
		!strings.Contains(err.Error(), fmt.Sprint(third)) {
		t.Errorf("scan: %v", err)
	}
	r, err = rosbag1.NewReader(failingReader{b, third + 100}, int64(len(b)), "disk.bag")
	if err != nil {
		t.Fatal(err)
	}
	s, err := rosbag1.NewSource(r, rosbag1.SourceOptions{Read: rosbag1.Options{ReadAhead: -1}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err = s.Next(context.Background())
		if err != nil {
			break
		}
		n++
	}
	if n != 44 || !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "disk.bag: chunk at offset "+fmt.Sprint(third)) {
		t.Fatalf("after %d messages: %v, want the I/O error after the 44 messages of the first two chunks", n, err)
	}
	if _, err2 := s.Next(context.Background()); !errors.Is(err2, errDisk) {
		t.Errorf("next call: %v", err2)
	}
}

// TestTopicConflict: two connections of one topic with different md5sums
// are read (each with its own definition) and reported.
func TestTopicConflict(t *testing.T) {
	var f memFile
	w, err := rosbag1.NewWriter(&f, rosbag1.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w.AddConnection(rosbag1.Connection{Topic: "/x", Type: "std_msgs/String", MD5Sum: stringMD5, MessageDefinition: stringDef})
	c, _ := w.AddConnection(rosbag1.Connection{Topic: "/x", Type: "std_msgs/Int32", MD5Sum: "da5909fbe378aeaf85e547e830cc1bb7", MessageDefinition: "int32 data\n"})
	if err := w.WriteMessage(a, 1e9, rosString("one")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteMessage(c, 2e9, []byte{42, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := rosbag1.NewReader(bytes.NewReader(f.b), int64(len(f.b)), "mixed.bag")
	if err != nil {
		t.Fatal(err)
	}
	ws := r.Warnings()
	if len(ws) != 1 || ws[0].Topic != "/x" || ws[0].LostMessages != 0 || !strings.Contains(ws[0].Msg, "std_msgs/Int32") {
		t.Errorf("warnings %v", ws)
	}
	s, err := rosbag1.NewSource(r, rosbag1.SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ms := drain(t, s)
	if len(ms) != 2 || ms[0].Type != "std_msgs/String" || ms[1].Type != "std_msgs/Int32" || s.Stats().Undecodable != 0 {
		t.Errorf("messages %+v, stats %+v", ms, s.Stats())
	}
}

// TestIndexCountMismatch: a chunk info record that counts more messages
// of a connection than its chunk holds (a damaged index) is a warning
// naming the chunk, the connection and both counts, with the difference
// as lost messages, and every message the chunk does hold is still read.
// FuzzReader found an index claiming 2,164,260,620 messages that read 12
// with no warning. A sound bag has no such warning.
func TestIndexCountMismatch(t *testing.T) {
	full := synthBag(t, rosbag1.CompressionNone, 300, 6)
	want, _, err := readAll(t, full, rosbag1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The first chunk info record of the index section, and its first
	// (connection, count) pair.
	pos := indexPos(t, full)
	var countAt int64 = -1
	for pos < int64(len(full)) && countAt < 0 {
		hl := int64(binary.LittleEndian.Uint32(full[pos:]))
		h := full[pos+4 : pos+4+hl]
		dl := int64(binary.LittleEndian.Uint32(full[pos+4+hl:]))
		if bytes.Contains(h, []byte("op=\x06")) {
			countAt = pos + 8 + hl + 4
		}
		pos += 8 + hl + dl
	}
	if countAt < 0 {
		t.Fatal("no chunk info record")
	}
	real := int64(binary.LittleEndian.Uint32(full[countAt:]))
	for _, tc := range []struct {
		name  string
		count uint32
		lost  int
	}{
		{"sound", uint32(real), 0},
		{"three more", uint32(real + 3), 3},
		{"2,164,260,620", 2164260620, int(min(2164260620-real, 1<<31-1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(full)
			binary.LittleEndian.PutUint32(b[countAt:], tc.count)
			got, r, err := readAll(t, b, rosbag1.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%d messages read, want %d", len(got), len(want))
			}
			ws := r.Warnings()
			if tc.lost == 0 {
				if len(ws) != 0 {
					t.Errorf("warnings %v", ws)
				}
				return
			}
			if len(ws) != 1 || ws[0].LostMessages != tc.lost || !strings.Contains(ws[0].Msg, fmt.Sprintf("the index counts %d messages", tc.count)) ||
				!strings.Contains(ws[0].Msg, fmt.Sprintf("it holds %d", real)) {
				t.Errorf("warnings %v, want one losing %d", ws, tc.lost)
			}
		})
	}
}

package logfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

// drive is one fixture drive written in every format logfile reads.
type drive struct {
	mcap string
	// others are the same drive as a bag, by name.
	others map[string]string
	// formats are the formats Detect must tell, by name.
	formats map[string]logfile.Format
}

// writeDrive simulates the minimal rig (camera, LiDAR, IMU, /tf_static,
// ROS 2 CDR) for d and writes it as MCAP, as ROS 1 bags (uncompressed,
// lz4), as rosbag2 SQLite folders (plain, per-message zstd, split in
// files of 150 messages), as a single .db3 file, and as a ROS 1 bag named
// .mcap (content, not the name, tells the format).
func writeDrive(tb testing.TB, d time.Duration) drive {
	tb.Helper()
	dir := tb.TempDir()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration = d
	var buf bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &buf, nil, nil); err != nil {
		tb.Fatal(err)
	}
	dr := drive{mcap: filepath.Join(dir, "drive.mcap"), others: map[string]string{}, formats: map[string]logfile.Format{}}
	if err := os.WriteFile(dr.mcap, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	r, err := mcapread.Open(dr.mcap)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	for name, o := range map[string]rosbag1.WriterOptions{"drive.bag": {}, "drive_lz4.bag": {Compression: rosbag1.CompressionLZ4}, "bag_named.mcap": {}} {
		p := filepath.Join(dir, name)
		if _, err := logfile.WriteROS1(r, p, o); err != nil {
			tb.Fatal(err)
		}
		dr.others[name], dr.formats[name] = p, logfile.ROS1Bag
	}
	for name, o := range map[string]rosbag2.WriterOptions{"db3": {}, "db3_zstd": {MessageCompression: true}, "db3_split": {SplitMessages: 150}} {
		p := filepath.Join(dir, name)
		if _, err := logfile.WriteROS2(r, p, o); err != nil {
			tb.Fatal(err)
		}
		dr.others[name], dr.formats[name] = p, logfile.ROS2Bag
	}
	dr.others["single.db3"], dr.formats["single.db3"] = filepath.Join(dir, "db3", "db3_0.db3"), logfile.ROS2Bag
	return dr
}

// readAll reads every decoded message of the log at path.
func readAll(tb testing.TB, path string) (*logfile.Log, []formats.Message) {
	tb.Helper()
	lg, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lg.Close() })
	src, err := lg.Source(logfile.SourceOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []formats.Message
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return lg, out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m)
	}
}

// byTopic splits messages by topic, keeping their order.
func byTopic(ms []formats.Message) map[string][]formats.Message {
	out := map[string][]formats.Message{}
	for _, m := range ms {
		out[m.Topic] = append(out[m.Topic], m)
	}
	return out
}

// The same drive read from MCAP, ROS 1 bags (ROS 1 encoding) and rosbag2
// SQLite bags (plain, zstd, split; a folder or one .db3) gives the same
// catalog counts, the same messages per topic with the same log times,
// stamps, frame ids and decoded payloads. Only what the formats cannot
// hold differs: the type name (ROS 1 "pkg/Type", ROS 2 "pkg/msg/Type"),
// PublishTime (a bag stores none: it is the log time) and Sequence.
func TestSameDriveEveryFormat(t *testing.T) {
	dr := writeDrive(t, 3*time.Second)
	want, wantMsgs := readAll(t, dr.mcap)
	if len(wantMsgs) == 0 {
		t.Fatal("the MCAP drive has no messages")
	}
	wantTopics := byTopic(wantMsgs)
	wantCat := want.Catalog()
	for name, path := range dr.others {
		t.Run(name, func(t *testing.T) {
			f, err := logfile.Detect(path)
			if err != nil || f != dr.formats[name] {
				t.Fatalf("Detect = %q, %v; want %q", f, err, dr.formats[name])
			}
			lg, msgs := readAll(t, path)
			if lg.Format() != dr.formats[name] {
				t.Errorf("format %q", lg.Format())
			}
			cat := lg.Catalog()
			if len(cat) != len(wantCat) {
				t.Fatalf("%d topics, want %d", len(cat), len(wantCat))
			}
			for i, ti := range cat {
				w := wantCat[i]
				if ti.Topic != w.Topic || ti.Count != w.Count || ti.Modality != w.Modality {
					t.Errorf("catalog %d: %+v, want %+v", i, ti, w)
				}
			}
			t.Logf("%s: %d messages, %d topics", lg.Format(), len(msgs), len(cat))
			if len(msgs) != len(wantMsgs) {
				t.Fatalf("%d messages, want %d", len(msgs), len(wantMsgs))
			}
			for topic, ws := range wantTopics {
				gs := byTopic(msgs)[topic]
				if len(gs) != len(ws) {
					t.Fatalf("%s: %d messages, want %d", topic, len(gs), len(ws))
				}
				for i := range ws {
					g, w := gs[i], ws[i]
					if g.LogTime != w.LogTime || g.Stamp != w.Stamp || g.StampClock != w.StampClock || g.FrameID != w.FrameID || g.Modality != w.Modality {
						t.Fatalf("%s #%d: log %d stamp %d %s frame %q %v; want log %d stamp %d %s frame %q %v", topic, i,
							g.LogTime, g.Stamp, g.StampClock, g.FrameID, g.Modality, w.LogTime, w.Stamp, w.StampClock, w.FrameID, w.Modality)
					}
					if !reflect.DeepEqual(g.Payload, w.Payload) {
						t.Fatalf("%s #%d: payload %T differs:\n got %s\nwant %s", topic, i, g.Payload, short(g.Payload), short(w.Payload))
					}
				}
			}
			if ws := lg.Warnings(); len(ws) > 0 && dr.formats[name] == logfile.ROS1Bag {
				t.Errorf("warnings on a sound bag: %v", ws)
			}
		})
	}
}

func short(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// Messages (the stored view) and Source (decoded) select by topic and
// log-time range alike in every format.
func TestSelection(t *testing.T) {
	dr := writeDrive(t, 2*time.Second)
	_, all := readAll(t, dr.mcap)
	start, end := all[0].LogTime+500_000_000, all[0].LogTime+1_200_000_000
	topic := "/imu/data"
	var want []int64
	for _, m := range all {
		if m.Topic == topic && m.LogTime >= start && m.LogTime < end {
			want = append(want, m.LogTime)
		}
	}
	if len(want) == 0 {
		t.Fatalf("no %s message in the window", topic)
	}
	paths := map[string]string{"mcap": dr.mcap}
	for k, v := range dr.others {
		paths[k] = v
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			lg, err := logfile.Open(path, logfile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer lg.Close()
			sel := mcapread.Options{Topics: []string{topic}, Start: start, End: end}
			it, err := lg.Messages(sel)
			if err != nil {
				t.Fatal(err)
			}
			var raw []int64
			for {
				m, err := it.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.Channel.Topic != topic {
					t.Fatalf("topic %s read", m.Channel.Topic)
				}
				raw = append(raw, int64(m.LogTime))
			}
			src, err := lg.Source(logfile.SourceOptions{Read: sel})
			if err != nil {
				t.Fatal(err)
			}
			var dec []int64
			for {
				m, err := src.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				dec = append(dec, m.LogTime)
			}
			if !slices.Equal(raw, want) || !slices.Equal(dec, want) {
				t.Errorf("Messages %d, Source %d log times; want %d", len(raw), len(dec), len(want))
			}
		})
	}
}

// What is not a log Open reads is an error naming it.
func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
	}{
		{"old.bag", "#ROSBAG V1.2\n"},
		{"older.bag", "#ROSRECORD V1.2\n"},
		{"empty.mcap", ""},
		{"text.mcap", "hello, world, not a log at all"},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		lg, err := logfile.Open(p, logfile.Options{})
		if err == nil {
			lg.Close()
			t.Errorf("%s: opened", tc.name)
			continue
		}
		if !bytes.Contains([]byte(err.Error()), []byte(tc.name)) {
			t.Errorf("%s: error does not name the file: %v", tc.name, err)
		}
	}
	if _, err := logfile.Open(filepath.Join(dir, "missing.bag"), logfile.Options{}); err == nil {
		t.Error("a missing file opened")
	}
}

// A log-time window is read through the index: reading 2 s of a 12 s
// log costs about 2/12 of the bytes a whole read costs (MCAP chunk index,
// ROS 1 bag chunk index), not the whole file. The window's messages are
// those of the whole read that fall in it, in every format.
func TestWindowReadsItsShare(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 12 s drive")
	}
	dr := writeDrive(t, 12*time.Second)
	_, all := readAll(t, dr.mcap)
	t0 := all[0].LogTime
	start, end := t0+5e9, t0+7e9
	want := 0
	for _, m := range all {
		if m.LogTime >= start && m.LogTime < end {
			want++
		}
	}
	for name, path := range map[string]string{"mcap": dr.mcap, "bag": dr.others["drive.bag"], "lz4 bag": dr.others["drive_lz4.bag"], "db3": dr.others["db3"]} {
		t.Run(name, func(t *testing.T) {
			count := func(sel mcapread.Options) (int, int64) {
				lg, err := logfile.Open(path, logfile.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer lg.Close()
				before := lg.BytesRead()
				it, err := lg.Messages(sel)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for {
					_, err := it.Next()
					if errors.Is(err, io.EOF) {
						return n, lg.BytesRead() - before
					}
					if err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
			nAll, bytesAll := count(mcapread.Options{})
			nWin, bytesWin := count(mcapread.Options{Start: start, End: end})
			t.Logf("whole log: %d messages, %d bytes read; window: %d messages, %d bytes", nAll, bytesAll, nWin, bytesWin)
			if nAll != len(all) || nWin != want {
				t.Fatalf("%d and %d messages, want %d and %d", nAll, nWin, len(all), want)
			}
			// 2 s of 12 s is 17%; the chunks that straddle the window's
			// ends add a little.
			if share := float64(bytesWin) / float64(bytesAll); bytesAll <= 0 || share > 0.3 {
				t.Errorf("the window cost %.0f%% of a whole read (%d of %d bytes)", 100*share, bytesWin, bytesAll)
			}
		})
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// damageLog is what the test knows of a fixture log's layout, read with
// the strict record reader: every chunk's byte range, the log times of its
// messages and the header stamps of its reference-LiDAR messages.
type damageLog struct {
	path   string
	size   int64
	header int64 // offset of the first record after the Header record
	chunks []damageChunk
}

type damageChunk struct {
	offset, end     int64   // the chunk record's byte range [offset, end)
	msgIndexEnd     int64   // end of the message index records after it
	messages        int     // messages in it
	first, last     uint64  // log times of its first and last message
	lidarStamps     []int64 // header stamps (ns) of its /lidar_top/points messages
	firstIndexStart int64   // offset of its first message index record (-1: none)
}

// generateDamageLog writes a minimal-rig fixture log of dur starting at
// start with small chunks (about one LiDAR sweep each), and maps it.
func generateDamageLog(t *testing.T, path string, start int64, dur time.Duration) *damageLog {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = dur
	cfg.Start = start
	cfg.ChunkSize = 256 << 10
	cfg.Rig.SetCameraSize(160, 96)
	lf, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.Create(path + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, lf, tf, nil); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	tf.Close()
	return mapDamageLog(t, path)
}

func mapDamageLog(t *testing.T, path string) *damageLog {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	l := &damageLog{path: path, size: st.Size(), header: -1}
	lidar := map[uint16]bool{}
	var cur *damageChunk
	err = mcapread.ReadRecords(bufio.NewReader(f), func(rec mcapread.Record) error {
		if rec.Chunk < 0 && rec.Op != mcap.OpHeader && l.header < 0 {
			l.header = rec.Offset
		}
		if rec.Chunk < 0 && cur != nil {
			if cur.end < 0 {
				cur.end = rec.Offset
			}
			if rec.Op == mcap.OpMessageIndex {
				if cur.firstIndexStart < 0 {
					cur.firstIndexStart = rec.Offset
				}
			} else if cur.msgIndexEnd < 0 {
				cur.msgIndexEnd = rec.Offset
			}
		}
		switch v := rec.Value.(type) {
		case *mcap.Chunk:
			l.chunks = append(l.chunks, damageChunk{offset: rec.Offset, end: -1, msgIndexEnd: -1, firstIndexStart: -1})
			cur = &l.chunks[len(l.chunks)-1]
		case *mcap.Channel:
			if v.Topic == "/lidar_top/points" {
				lidar[v.ID] = true
			}
		case *mcap.Message:
			if rec.Chunk < 0 {
				return fmt.Errorf("message outside a chunk at offset %d", rec.Offset)
			}
			if cur.messages == 0 || v.LogTime < cur.first {
				cur.first = v.LogTime
			}
			cur.last = max(cur.last, v.LogTime)
			cur.messages++
			if lidar[v.ChannelID] {
				// CDR: 4-byte encapsulation, then std_msgs/Header's stamp
				// (int32 sec, uint32 nanosec).
				sec := int32(binary.LittleEndian.Uint32(v.Data[4:]))
				nsec := binary.LittleEndian.Uint32(v.Data[8:])
				cur.lidarStamps = append(cur.lidarStamps, int64(sec)*1e9+int64(nsec))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.chunks) < 6 {
		t.Fatalf("%s: %d chunks; the test needs several", path, len(l.chunks))
	}
	return l
}

// stamps returns the reference-LiDAR stamps of chunks [from, to) minus
// chunk skip (-1: none), sorted.
func (l *damageLog) stamps(from, to, skip int) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		if i != skip {
			out = append(out, l.chunks[i].lidarStamps...)
		}
	}
	slices.Sort(out)
	return out
}

// lastLogTime is the last log time of the messages of chunks [0, to).
func (l *damageLog) lastLogTime(to int) uint64 {
	var t uint64
	for i := range to {
		t = max(t, l.chunks[i].last)
	}
	return t
}

func copyDamaged(t *testing.T, src, dst string, keep int64, flipAt int64) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if keep >= 0 {
		b = b[:keep]
	}
	if flipAt >= 0 {
		for i := flipAt; i < flipAt+64; i++ {
			b[i] ^= 0x5a
		}
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fuseDamageJSON is the part of fuse --json the test reads (its own
// declaration, so that the test also compiles against a fuse without it).
type fuseDamageJSON struct {
	Frames   int `json:"frames"`
	Problems []struct {
		Severity          string `json:"severity"`
		Kind              string `json:"kind"`
		File              string `json:"file"`
		Offset            int64  `json:"offset"`
		UnreadBytes       int64  `json:"unread_bytes"`
		LostMessages      int    `json:"lost_messages"`
		LostFromLogTimeNS int64  `json:"lost_from_log_time_ns"`
		LostToLogTimeNS   int64  `json:"lost_to_log_time_ns"`
		Message           string `json:"message"`
	} `json:"problems"`
}

// fusedStamps reads the frame stamps of a frames-format output.
func fusedStamps(t *testing.T, dir string) []int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var e struct {
			StampNS int64 `json:"stamp_ns"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e.StampNS)
	}
	return out
}

// TestFuseDamagedLog fuses logs cut or damaged at known places: fuse
// exits 0, fuses exactly the reference sweeps of the chunks that survived
// (compared with the untruncated log's own sweeps), and its summary (human
// and --json "problems") names the file, the offset where the damage is
// and what was lost; --strict exits 3. A log cut right after its header
// holds nothing to fuse: an error naming the file and the truncation.
func TestFuseDamagedLog(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and fuses logs")
	}
	dir := t.TempDir()
	full := generateDamageLog(t, filepath.Join(dir, "drive.mcap"), fixtures.DefaultStart, 3*time.Second)
	n := len(full.chunks)
	all := full.stamps(0, n, -1)
	t.Logf("%s: %d bytes, %d chunks, %d sweeps", full.path, full.size, n, len(all))

	// The untruncated log: every sweep, no problem.
	code, out, errs := runCLI(t, "fuse", full.path, "-o", filepath.Join(dir, "full"), "--json", "-q", "--strict")
	if code != exitOK {
		t.Fatalf("intact log: exit %d: %s", code, errs)
	}
	var sum fuseDamageJSON
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Problems) != 0 || !slices.Equal(fusedStamps(t, filepath.Join(dir, "full")), all) {
		t.Fatalf("intact log: problems %+v, %d frames for %d sweeps", sum.Problems, sum.Frames, len(all))
	}

	k := n / 2 // the chunk damaged or cut
	c := full.chunks[k]
	if c.firstIndexStart < 0 {
		t.Fatalf("chunk %d has no message index", k)
	}
	for _, tc := range []struct {
		name       string
		keep, flip int64 // bytes kept (-1: all); first byte flipped (-1: none)
		kind       string
		offset     int64   // where the problem is
		want       []int64 // the sweeps that must still be fused
		lost       int     // lost_messages (-1: unknown)
		lostFrom   uint64
		lostTo     uint64
	}{
		{"mid-chunk", (c.offset + c.end) / 2, -1, "truncated", c.offset, full.stamps(0, k, -1), -1, full.lastLogTime(k), 0},
		{"mid-record-header", c.offset + 4, -1, "truncated", c.offset, full.stamps(0, k, -1), -1, full.lastLogTime(k), 0},
		{"mid-message-index", c.firstIndexStart + 12, -1, "truncated", c.firstIndexStart, full.stamps(0, k+1, -1), -1, full.lastLogTime(k + 1), 0},
		{"damaged-chunk", -1, (c.offset + c.end) / 2, "damaged", c.offset, full.stamps(0, n, k), c.messages, c.first, c.last},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".mcap")
			copyDamaged(t, full.path, path, tc.keep, tc.flip)
			outDir := filepath.Join(dir, tc.name)
			code, out, errs := runCLI(t, "fuse", path, "-o", outDir, "--json", "-q")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var sum fuseDamageJSON
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got := fusedStamps(t, outDir); !slices.Equal(got, tc.want) {
				t.Errorf("fused %d frames, want the %d sweeps of the chunks that survived\ngot  %v\nwant %v", len(got), len(tc.want), got, tc.want)
			}
			if len(sum.Problems) != 1 {
				t.Fatalf("problems %+v, want one", sum.Problems)
			}
			p := sum.Problems[0]
			if p.File != path || p.Kind != tc.kind || p.Offset != tc.offset || p.Severity != "error" ||
				p.LostMessages != tc.lost || p.LostFromLogTimeNS != int64(tc.lostFrom) || p.LostToLogTimeNS != int64(tc.lostTo) {
				t.Errorf("problem %+v\nwant file %s, kind %s, offset %d, lost %d messages of log time %d … %d",
					p, path, tc.kind, tc.offset, tc.lost, tc.lostFrom, tc.lostTo)
			}
			if tc.kind == "truncated" && p.UnreadBytes != tc.keep-tc.offset {
				t.Errorf("unread bytes %d, want %d", p.UnreadBytes, tc.keep-tc.offset)
			}
			if !strings.Contains(p.Message, path) || !strings.Contains(p.Message, fmt.Sprintf("offset %d", tc.offset)) {
				t.Errorf("message %q does not name the file and offset", p.Message)
			}
			// The human summary says it too; --strict exits 3.
			code, out, errs = runCLI(t, "fuse", path, "-o", outDir+"-strict", "--strict", "-q")
			if code != exitProblems || !strings.Contains(out, "problems: 1") || !strings.Contains(out, p.Message) ||
				!strings.Contains(errs, path) {
				t.Errorf("--strict: exit %d, want %d and the problem in the summary\n%s\n%s", code, exitProblems, out, errs)
			}
		})
	}

	// Cut right after the header: nothing can be fused; the error says why.
	t.Run("after-header", func(t *testing.T) {
		path := filepath.Join(dir, "header.mcap")
		copyDamaged(t, full.path, path, full.header, -1)
		code, _, errs := runCLI(t, "fuse", path, "-o", filepath.Join(dir, "header"), "-q")
		if code != exitError || !strings.Contains(errs, path) || !strings.Contains(errs, "truncated") ||
			!strings.Contains(errs, fmt.Sprintf("offset %d", full.header)) {
			t.Errorf("exit %d, %q; want an error naming %s, the truncation and offset %d", code, errs, path, full.header)
		}
	})

	// Two logs of one drive, the second damaged: the problem names it, and
	// the sweeps of both logs' surviving chunks are fused.
	t.Run("multi-log", func(t *testing.T) {
		second := generateDamageLog(t, filepath.Join(dir, "drive2.mcap"), fixtures.DefaultStart+int64(3*time.Second), 2*time.Second)
		j := len(second.chunks) / 2
		c2 := second.chunks[j]
		path := filepath.Join(dir, "drive2-damaged.mcap")
		copyDamaged(t, second.path, path, -1, (c2.offset+c2.end)/2)
		outDir := filepath.Join(dir, "multi")
		code, out, errs := runCLI(t, "fuse", full.path, path, "-o", outDir, "--json", "-q")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var sum fuseDamageJSON
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatal(err)
		}
		if len(sum.Problems) != 1 || sum.Problems[0].File != path || sum.Problems[0].Offset != c2.offset ||
			sum.Problems[0].LostMessages != c2.messages {
			t.Errorf("problems %+v; want one naming %s, offset %d, %d messages lost", sum.Problems, path, c2.offset, c2.messages)
		}
		want := append(slices.Clone(all), second.stamps(0, len(second.chunks), j)...)
		slices.Sort(want)
		if got := fusedStamps(t, outDir); !slices.Equal(got, want) {
			t.Errorf("fused %d frames, want %d\ngot  %v\nwant %v", len(got), len(want), got, want)
		}
	})
}

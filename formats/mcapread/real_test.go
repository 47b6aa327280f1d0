package mcapread

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/rigsync/rigsync/fixtures/shareddata"
)

// TestRealLogs reads the three real logs: per-topic counts equal the
// statistics, the first and last log times equal the statistics' range,
// iteration is log-time ordered, and the messages equal the ones the mcap
// library itself reads in file order (stably sorted by log time), by
// sequence, time and payload hash.
func TestRealLogs(t *testing.T) {
	dir := shareddata.Dir(t, "mcap", "real")
	files, _ := filepath.Glob(filepath.Join(dir, "*.mcap"))
	if len(files) != 3 {
		t.Fatalf("found %d real logs, want 3", len(files))
	}
	type key struct {
		ch      uint16
		seq     uint32
		logTime uint64
		hash    [32]byte
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			// Ground truth: the library's linear reader.
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lr, err := mcap.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			lit, err := lr.Messages(mcap.UsingIndex(false))
			if err != nil {
				t.Fatal(err)
			}
			var want []key
			for {
				_, _, m, err := lit.NextInto(nil)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, key{m.ChannelID, m.Sequence, m.LogTime, sha256.Sum256(m.Data)})
			}
			slices.SortStableFunc(want, func(a, b key) int { return cmp.Compare(a.logTime, b.logTime) })

			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			info, trusted := r.Summary()
			if !trusted {
				t.Fatalf("summary of a complete real log not trusted: %s", r.trustReason)
			}
			st := info.Statistics
			it, err := r.Messages(Options{})
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]uint64{}
			var got []key
			for {
				m, err := it.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				counts[m.Channel.Topic]++
				got = append(got, key{m.ChannelID, m.Sequence, m.LogTime, sha256.Sum256(m.Data)})
			}
			if len(got) == 0 || uint64(len(got)) != st.MessageCount {
				t.Fatalf("read %d messages, statistics say %d", len(got), st.MessageCount)
			}
			for id, n := range st.ChannelMessageCounts {
				if tp := info.Channels[id].Topic; counts[tp] != n {
					t.Errorf("topic %s: %d messages, statistics say %d", tp, counts[tp], n)
				}
			}
			if got[0].logTime != st.MessageStartTime || got[len(got)-1].logTime != st.MessageEndTime {
				t.Errorf("times %d..%d, statistics %d..%d", got[0].logTime, got[len(got)-1].logTime, st.MessageStartTime, st.MessageEndTime)
			}
			if !slices.Equal(got, want) {
				t.Errorf("messages differ from the library's linear read sorted by log time")
			}
			if w := r.Warnings(); len(w) != 0 {
				t.Errorf("warnings: %v", w)
			}
			// The same through the scan path (summary cut off).
			l := fileLayout(t, b)
			sr, err := NewReader(bytes.NewReader(b[:l.dataEnd]), l.dataEnd, "cut.mcap")
			if err != nil {
				t.Fatal(err)
			}
			var scanned []key
			sit, _ := sr.Messages(Options{})
			for {
				m, err := sit.Next()
				if err != nil {
					break
				}
				scanned = append(scanned, key{m.ChannelID, m.Sequence, m.LogTime, sha256.Sum256(m.Data)})
			}
			if !slices.Equal(scanned, want) {
				t.Errorf("scan path: %d messages, differ from the library's", len(scanned))
			}
			// IndexedTimes agrees with the iteration, channel by channel.
			for id := range st.ChannelMessageCounts {
				times, err := r.IndexedTimes(id)
				if err != nil {
					t.Fatal(err)
				}
				var exp []uint64
				for _, k := range got {
					if k.ch == id {
						exp = append(exp, k.logTime)
					}
				}
				if !slices.Equal(times, exp) {
					t.Errorf("IndexedTimes(%d): %d times, iteration has %d", id, len(times), len(exp))
				}
			}
		})
	}
}

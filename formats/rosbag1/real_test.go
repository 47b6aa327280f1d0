package rosbag1_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// expectedBag is one ROS 1 entry of ../shared/data/rosbag/expected.json.
type expectedBag struct {
	Format            string   `json:"format"`
	Magic             string   `json:"magic"`
	Version           string   `json:"version"`
	Indexed           bool     `json:"indexed"`
	ChunkCount        int      `json:"chunk_count"`
	ChunkCompressions []string `json:"chunk_compressions"`
	ConnectionCount   int      `json:"connection_count"`
	MessageCount      int      `json:"message_count"`
	StartNS           int64    `json:"start_ns"`
	EndNS             int64    `json:"end_ns"`
	Topics            map[string]struct {
		Type             string `json:"type"`
		Count            int    `json:"count"`
		FirstNS          int64  `json:"first_ns"`
		LastNS           int64  `json:"last_ns"`
		MD5Sum           string `json:"md5sum"`
		Connections      int    `json:"connections"`
		DefinitionStored bool   `json:"definition_stored"`
		Samples          []struct {
			Index      int            `json:"index"`
			LogTimeNS  int64          `json:"log_time_ns"`
			TimeUnique bool           `json:"time_unique"`
			Values     map[string]any `json:"values"`
		} `json:"samples"`
	} `json:"topics"`
}

// expected reads the ROS 1 bags' entries of expected.json, by path
// relative to the rosbag folder.
func expected(t *testing.T) (string, map[string]expectedBag) {
	t.Helper()
	dir := shareddata.Dir(t, "rosbag")
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files map[string]json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]expectedBag{}
	for k, raw := range doc.Files {
		if !strings.HasPrefix(k, "ros1/") {
			continue
		}
		var e expectedBag
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = e
	}
	if len(out) == 0 {
		t.Fatal("expected.json lists no ROS 1 bag")
	}
	return dir, out
}

// lookup walks a generic value along a path of the expected.json form:
// "a.b", "a[0].b", "a.len"; a ROS time resolves to sec*1e9+nsec.
func lookup(v any, path string) (any, error) {
	for _, part := range strings.Split(path, ".") {
		if part == "len" {
			l, ok := v.([]any)
			if !ok {
				if b, isB := v.([]byte); isB {
					return int64(len(b)), nil
				}
				return nil, fmt.Errorf("%s: len of %T", path, v)
			}
			return int64(len(l)), nil
		}
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil, err
			}
			name, idx = part[:i], n
		}
		r, ok := v.(*formats.Record)
		if !ok {
			return nil, fmt.Errorf("%s: %s of %T", path, name, v)
		}
		if v, ok = r.Get(name); !ok {
			return nil, fmt.Errorf("%s: no field %s in %v", path, name, r.Names)
		}
		if idx >= 0 {
			l, ok := v.([]any)
			if !ok || idx >= len(l) {
				return nil, fmt.Errorf("%s: index %d of %T", path, idx, v)
			}
			v = l[idx]
		}
	}
	if r, ok := v.(*formats.Record); ok {
		sec, ok1 := r.Get("sec")
		nsec, ok2 := r.Get("nsec")
		if ok1 && ok2 {
			s, _ := num(sec)
			n, _ := num(nsec)
			return int64(s)*1e9 + int64(n), nil
		}
	}
	return v, nil
}

func num(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// same compares a decoded value with an expected.json value.
func same(got, want any) bool {
	switch w := want.(type) {
	case string:
		if g, ok := got.(string); ok {
			return g == w
		}
		g, ok := num(got)
		return ok && (w == "NaN" && math.IsNaN(g) || w == strconv.FormatFloat(g, 'g', -1, 64))
	case float64:
		if i, ok := got.(int64); ok && math.Abs(w) > 1<<53 {
			return i == int64(w) || math.Abs(float64(i)-w) <= math.Abs(w)*1e-15
		}
		g, ok := num(got)
		return ok && (g == w || math.Abs(g-w) <= 1e-12*math.Abs(w))
	case bool:
		return got == w
	}
	return false
}

// TestRealBags reads every ROS 1 bag of ../shared/data/rosbag through a
// Source and checks what expected.json (computed with python3-rosbag)
// says: topics, types, md5sums, connections, counts, first/last record
// times, every sampled value, and the typed envelope's frame id and stamp.
func TestRealBags(t *testing.T) {
	dir, want := expected(t)
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, rel := range paths {
		e := want[rel]
		t.Run(strings.TrimPrefix(rel, "ros1/"), func(t *testing.T) {
			path := filepath.Join(dir, rel)
			head := make([]byte, 16)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := f.Read(head)
			f.Close()
			if !formats.IsBag(head[:n]) || e.Magic+"\n" != formats.ROS1BagMagic {
				t.Errorf("IsBag false, or expected magic %q", e.Magic)
			}
			s, err := rosbag1.OpenSource(path, rosbag1.SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r := s.Reader()
			if r.Indexed() != e.Indexed {
				t.Errorf("indexed %v, want %v", r.Indexed(), e.Indexed)
			}
			if st := r.Statistics(); int(st.ChunkCount) != e.ChunkCount || int(st.MessageCount) != e.MessageCount ||
				int64(st.MessageStartTime) != e.StartNS || int64(st.MessageEndTime) != e.EndNS {
				t.Errorf("statistics: %d chunks, %d messages, %d..%d; want %d, %d, %d..%d", st.ChunkCount, st.MessageCount,
					st.MessageStartTime, st.MessageEndTime, e.ChunkCount, e.MessageCount, e.StartNS, e.EndNS)
			}
			comps := map[string]bool{}
			for _, c := range r.Chunks() {
				comps[c.Compression] = true
				if c.Length == 0 || c.Damaged || c.Cut {
					t.Errorf("chunk %+v", c)
				}
			}
			if len(comps) != len(e.ChunkCompressions) {
				t.Errorf("chunk compressions %v, want %v", comps, e.ChunkCompressions)
			}
			for _, c := range e.ChunkCompressions {
				if !comps[c] {
					t.Errorf("chunk compressions %v, want %v", comps, e.ChunkCompressions)
				}
			}
			if e.Version != "2.0" || e.Format != "ros1-bag" {
				t.Errorf("expected.json says format %s version %s", e.Format, e.Version)
			}
			if got := len(r.Connections()); got != e.ConnectionCount {
				t.Errorf("%d connections, want %d", got, e.ConnectionCount)
			}
			topics := r.Topics()
			if len(topics) != len(e.Topics) {
				t.Errorf("%d topics, want %d", len(topics), len(e.Topics))
			}
			for _, tp := range topics {
				et, ok := e.Topics[tp.Name]
				if !ok {
					t.Errorf("unexpected topic %s", tp.Name)
					continue
				}
				if tp.Type != et.Type || int(tp.Count) != et.Count || len(tp.Connections) != et.Connections {
					t.Errorf("%s: type %s count %d connections %d; want %s %d %d", tp.Name, tp.Type, tp.Count,
						len(tp.Connections), et.Type, et.Count, et.Connections)
				}
				for _, c := range tp.Connections {
					if c.MD5Sum != et.MD5Sum || (c.MessageDefinition != "") != et.DefinitionStored || c.Type != et.Type {
						t.Errorf("%s: connection %d md5 %s type %s definition %d bytes; want %s %s stored %v", tp.Name, c.ID,
							c.MD5Sum, c.Type, len(c.MessageDefinition), et.MD5Sum, et.Type, et.DefinitionStored)
					}
				}
			}
			// Every message, in time order, per topic.
			var ds decode.Decoders
			byTopic := map[string][]formats.Message{}
			values := map[string][]any{}
			ctx := context.Background()
			last := int64(math.MinInt64)
			it, err := r.Messages(rosbag1.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for {
				m, err := s.Next(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.LogTime < last {
					t.Fatalf("%s at %d after %d: not in time order", m.Topic, m.LogTime, last)
				}
				last = m.LogTime
				byTopic[m.Topic] = append(byTopic[m.Topic], m)
				// The generic value of the same message, through a second
				// iterator in step with the source.
				raw, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				if raw.Conn.Topic != m.Topic || raw.LogTime != m.LogTime {
					t.Fatalf("iterator and source out of step: %s %d vs %s %d", raw.Conn.Topic, raw.LogTime, m.Topic, m.LogTime)
				}
				d, err := ds.Decoder(raw.Conn.Channel().Channel, raw.Conn.Channel().Schema)
				if err != nil {
					t.Fatal(err)
				}
				v, err := d.Value(raw.Data)
				if err != nil {
					t.Fatalf("%s: %v", m.Topic, err)
				}
				values[m.Topic] = append(values[m.Topic], v)
			}
			if st := s.Stats(); st.Messages != e.MessageCount || st.Undecodable != 0 {
				t.Errorf("source: %d messages, %d undecodable (%s); want %d", st.Messages, st.Undecodable, st.FirstError, e.MessageCount)
			}
			for name, et := range e.Topics {
				ms := byTopic[name]
				if len(ms) != et.Count {
					t.Errorf("%s: %d messages read, want %d", name, len(ms), et.Count)
					continue
				}
				if et.Count == 0 {
					continue
				}
				if ms[0].LogTime != et.FirstNS || ms[len(ms)-1].LogTime != et.LastNS {
					t.Errorf("%s: first/last %d/%d, want %d/%d", name, ms[0].LogTime, ms[len(ms)-1].LogTime, et.FirstNS, et.LastNS)
				}
				for _, smp := range et.Samples {
					m := ms[smp.Index]
					if m.LogTime != smp.LogTimeNS || m.Type != et.Type {
						t.Errorf("%s[%d]: log time %d type %s, want %d %s", name, smp.Index, m.LogTime, m.Type, smp.LogTimeNS, et.Type)
					}
					for path, wv := range smp.Values {
						gv, err := lookup(values[name][smp.Index], path)
						if err != nil {
							t.Errorf("%s[%d]: %v", name, smp.Index, err)
							continue
						}
						if !same(gv, wv) {
							t.Errorf("%s[%d].%s = %v (%T), want %v", name, smp.Index, path, gv, gv, wv)
						}
					}
					// The envelope: frame id and stamp from the header.
					if fid, ok := smp.Values["header.frame_id"]; ok && m.FrameID != fid {
						t.Errorf("%s[%d]: FrameID %q, want %q", name, smp.Index, m.FrameID, fid)
					}
					if st, ok := smp.Values["header.stamp"].(float64); ok && st != 0 {
						if !same(m.Stamp, st) || m.StampClock == formats.ClockLog {
							t.Errorf("%s[%d]: Stamp %d on %q, want %.0f on the sensor clock", name, smp.Index, m.Stamp, m.StampClock, st)
						}
					}
				}
			}
			if _, err := s.Next(ctx); !errors.Is(err, io.EOF) {
				t.Errorf("after the end: %v, want io.EOF", err)
			}
			if w := r.Warnings(); len(w) != 0 {
				t.Errorf("warnings on a sound bag: %v", w)
			}
		})
	}
}

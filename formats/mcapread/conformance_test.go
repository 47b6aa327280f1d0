package mcapread

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/rigsync/rigsync/fixtures/shareddata"
)

// confRecord is one record of a conformance suite expected output
// (notes/mcap.md §6 "Streamed-reader check").
type confRecord struct {
	Type   string  `json:"type"`
	Fields [][]any `json:"fields"`
}

type confFile struct {
	Records []confRecord `json:"records"`
	Meta    struct {
		Variant struct {
			Features []string `json:"features"`
		} `json:"variant"`
	} `json:"meta"`
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

func confBytes(b []byte) []any {
	out := make([]any, len(b))
	for i, x := range b {
		out[i] = strconv.Itoa(int(x))
	}
	return out
}

func confMap[K comparable, V any](m map[K]V, kf func(K) string, vf func(V) string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[kf(k)] = vf(v)
	}
	return out
}

func id[T any](s T) T { return s }

// confRecordOf serialises a record the way the conformance suite does, or
// returns ok=false for records the suite omits (Chunk, MessageIndex).
func confRecordOf(t *testing.T, rec Record) (confRecord, bool) {
	t.Helper()
	f := map[string]any{}
	var typ string
	switch v := rec.Value.(type) {
	case *mcap.Header:
		typ = "Header"
		f["library"], f["profile"] = v.Library, v.Profile
	case *mcap.Footer:
		typ = "Footer"
		f["summary_crc"], f["summary_offset_start"], f["summary_start"] = u(uint64(v.SummaryCRC)), u(v.SummaryOffsetStart), u(v.SummaryStart)
	case *mcap.Schema:
		typ = "Schema"
		f["data"], f["encoding"], f["id"], f["name"] = confBytes(v.Data), v.Encoding, u(uint64(v.ID)), v.Name
	case *mcap.Channel:
		typ = "Channel"
		f["id"], f["message_encoding"], f["schema_id"], f["topic"] = u(uint64(v.ID)), v.MessageEncoding, u(uint64(v.SchemaID)), v.Topic
		f["metadata"] = confMap(v.Metadata, id[string], id[string])
	case *mcap.Message:
		typ = "Message"
		f["channel_id"], f["data"], f["log_time"] = u(uint64(v.ChannelID)), confBytes(v.Data), u(v.LogTime)
		f["publish_time"], f["sequence"] = u(v.PublishTime), u(uint64(v.Sequence))
	case *mcap.ChunkIndex:
		typ = "ChunkIndex"
		f["chunk_length"], f["chunk_start_offset"], f["compressed_size"] = u(v.ChunkLength), u(v.ChunkStartOffset), u(v.CompressedSize)
		f["compression"], f["message_end_time"], f["message_index_length"] = string(v.Compression), u(v.MessageEndTime), u(v.MessageIndexLength)
		f["message_index_offsets"] = confMap(v.MessageIndexOffsets, func(k uint16) string { return u(uint64(k)) }, u)
		f["message_start_time"], f["uncompressed_size"] = u(v.MessageStartTime), u(v.UncompressedSize)
	case *mcap.Attachment:
		typ = "Attachment"
		data, err := io.ReadAll(v.Data)
		if err != nil {
			t.Fatal(err)
		}
		f["create_time"], f["data"], f["log_time"], f["media_type"], f["name"] = u(v.CreateTime), confBytes(data), u(v.LogTime), v.MediaType, v.Name
	case *mcap.AttachmentIndex:
		typ = "AttachmentIndex"
		f["create_time"], f["data_size"], f["length"], f["log_time"] = u(v.CreateTime), u(v.DataSize), u(v.Length), u(v.LogTime)
		f["media_type"], f["name"], f["offset"] = v.MediaType, v.Name, u(v.Offset)
	case *mcap.Statistics:
		typ = "Statistics"
		f["attachment_count"], f["channel_count"], f["chunk_count"] = u(uint64(v.AttachmentCount)), u(uint64(v.ChannelCount)), u(uint64(v.ChunkCount))
		f["channel_message_counts"] = confMap(v.ChannelMessageCounts, func(k uint16) string { return u(uint64(k)) }, u)
		f["message_count"], f["message_end_time"], f["message_start_time"] = u(v.MessageCount), u(v.MessageEndTime), u(v.MessageStartTime)
		f["metadata_count"], f["schema_count"] = u(uint64(v.MetadataCount)), u(uint64(v.SchemaCount))
	case *mcap.Metadata:
		typ = "Metadata"
		f["metadata"], f["name"] = confMap(v.Metadata, id[string], id[string]), v.Name
	case *mcap.MetadataIndex:
		typ = "MetadataIndex"
		f["length"], f["name"], f["offset"] = u(v.Length), v.Name, u(v.Offset)
	case *mcap.SummaryOffset:
		typ = "SummaryOffset"
		f["group_length"], f["group_opcode"], f["group_start"] = u(v.GroupLength), u(uint64(v.GroupOpcode)), u(v.GroupStart)
	case *mcap.DataEnd:
		typ = "DataEnd"
		f["data_section_crc"] = u(uint64(v.DataSectionCRC))
	case *mcap.Chunk, *mcap.MessageIndex:
		return confRecord{}, false
	default:
		t.Fatalf("unexpected record value %T", v)
	}
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	out := confRecord{Type: typ}
	for _, k := range names {
		out.Fields = append(out.Fields, []any{k, f[k]})
	}
	return out, true
}

// normalise round-trips v through JSON so both sides compare as plain
// JSON values.
func normalise(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func conformanceFiles(t *testing.T) []string {
	dir := shareddata.Dir(t, "mcap", "conformance")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.mcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 416 {
		t.Fatalf("found %d conformance inputs in %s, want 416", len(files), dir)
	}
	return files
}

func loadExpected(t *testing.T, path string) confFile {
	t.Helper()
	b, err := os.ReadFile(strings.TrimSuffix(path, ".mcap") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var want confFile
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return want
}

// TestConformanceRecords checks ReadRecords against the official MCAP
// conformance suite's streamed-reader expected output, record by record.
func TestConformanceRecords(t *testing.T) {
	for _, path := range conformanceFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := loadExpected(t, path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got []confRecord
			err = ReadRecords(bytes.NewReader(b), func(rec Record) error {
				if c, ok := confRecordOf(t, rec); ok {
					got = append(got, c)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("ReadRecords: %v", err)
			}
			g, w := normalise(t, got), normalise(t, want.Records)
			if !reflect.DeepEqual(g, w) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(want.Records)
				t.Fatalf("records differ\n got: %s\nwant: %s", gj, wj)
			}
		})
	}
}

type confMsg struct {
	Topic                string
	Channel              uint16
	Seq                  uint32
	LogTime, PublishTime uint64
	Data                 string
}

// TestConformanceMessages checks that Messages yields exactly the
// messages of each conformance file, stably sorted by log time, whether or
// not the file has a summary, statistics or indexes, and that the summary
// is trusted exactly for the variants that make it complete.
func TestConformanceMessages(t *testing.T) {
	for _, path := range conformanceFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := loadExpected(t, path)
			topics := map[uint16]string{}
			var exp []confMsg
			for _, rec := range want.Records {
				f := map[string]any{}
				for _, kv := range rec.Fields {
					f[kv[0].(string)] = kv[1]
				}
				num := func(k string) uint64 {
					v, err := strconv.ParseUint(f[k].(string), 10, 64)
					if err != nil {
						t.Fatal(err)
					}
					return v
				}
				switch rec.Type {
				case "Channel":
					topics[uint16(num("id"))] = f["topic"].(string)
				case "Message":
					var data []byte
					for _, x := range f["data"].([]any) {
						n, _ := strconv.Atoi(x.(string))
						data = append(data, byte(n))
					}
					ch := uint16(num("channel_id"))
					exp = append(exp, confMsg{topics[ch], ch, uint32(num("sequence")), num("log_time"), num("publish_time"), string(data)})
				}
			}
			slices.SortStableFunc(exp, func(a, b confMsg) int { return cmp.Compare(a.LogTime, b.LogTime) })

			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			it, err := r.Messages(Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []confMsg
			for {
				m, err := it.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, confMsg{m.Channel.Topic, m.ChannelID, m.Sequence, m.LogTime, m.PublishTime, string(m.Data)})
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("messages\n got %v\nwant %v", got, exp)
			}
			if w := r.Warnings(); len(w) != 0 {
				t.Errorf("warnings on a valid file: %v", w)
			}
			if st := r.Statistics(); st == nil || st.MessageCount != uint64(len(exp)) {
				t.Errorf("Statistics() = %+v, want %d messages", st, len(exp))
			}
			feat := map[string]bool{}
			for _, f := range want.Meta.Variant.Features {
				feat[f] = true
			}
			base := strings.SplitN(filepath.Base(path), "-", 2)[0]
			wantTrusted := feat["st"]
			switch base {
			case "OneMessage", "TenMessages":
				wantTrusted = wantTrusted && feat["ch"] && feat["chx"] && feat["rch"] && feat["rsh"]
			case "OneSchemalessMessage":
				wantTrusted = wantTrusted && feat["ch"] && feat["chx"] && feat["rch"]
			}
			if _, trusted := r.Summary(); trusted != wantTrusted {
				t.Errorf("summary trusted = %v, want %v (features %v, reason %q)", trusted, wantTrusted, want.Meta.Variant.Features, r.trustReason)
			}
		})
	}
}

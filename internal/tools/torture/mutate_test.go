package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// fakeMCAP is a magic, a header, three chunks, a DataEnd and a footer:
// enough structure for the record-level mutators.
func fakeMCAP() []byte {
	b := append([]byte(nil), mcapMagic...)
	rec := func(op byte, body []byte) {
		b = append(b, op)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(body)))
		b = append(b, body...)
	}
	rec(0x01, []byte("header"))
	for i := 0; i < 3; i++ {
		rec(opChunk, bytes.Repeat([]byte{byte('a' + i)}, 100))
	}
	rec(opDataEnd, []byte{0, 0, 0, 0})
	rec(0x02, make([]byte, 20))
	return append(b, mcapMagic...)
}

func TestLogMutants(t *testing.T) {
	b := fakeMCAP()
	recs := mcapRecords(b)
	if len(recs) != 6 || len(chunks(recs)) != 3 {
		t.Fatalf("records %v", recs)
	}
	end := dataEnd(recs, len(b))
	ms := logMutants("mcap", b, 21, 1)
	again := logMutants("mcap", b, 21, 1)
	seen := map[string]int{}
	for i, m := range ms {
		if m.name != again[i].name || !bytes.Equal(m.data, again[i].data) {
			t.Errorf("mutant %d differs between two runs with one seed", i)
		}
		kind := strings.SplitN(strings.TrimPrefix(m.name, "mcap:"), "@", 2)[0]
		kind = strings.TrimRight(kind, "0123456789")
		seen[kind]++
		got := len(chunks(mcapRecords(m.data)))
		switch kind {
		case "dupchunk":
			if got != 4 || m.lossy {
				t.Errorf("%s: %d chunks, lossy %v", m.name, got, m.lossy)
			}
		case "dropchunk":
			if got != 2 || !m.lossy {
				t.Errorf("%s: %d chunks, lossy %v", m.name, got, m.lossy)
			}
		case "swapchunks":
			if got != 3 || len(m.data) != len(b) || bytes.Equal(m.data, b) {
				t.Errorf("%s: not a swap", m.name)
			}
		case "truncate":
			if len(m.data) >= len(b) || m.lossy != (len(m.data) < end) {
				t.Errorf("%s: %d of %d bytes, lossy %v (data end %d)", m.name, len(m.data), len(b), m.lossy, end)
			}
		case "flip", "zero", "hugelen":
			if len(m.data) != len(b) || bytes.Equal(m.data, b) {
				t.Errorf("%s: unchanged or resized", m.name)
			}
		default:
			t.Errorf("unknown kind in %s", m.name)
		}
	}
	if len(seen) != 7 {
		t.Errorf("kinds %v, want all 7", seen)
	}
	if ms := logMutants("bag", []byte("#ROSBAG V2.0\n"+strings.Repeat("x", 500)), 8, 1); len(ms) != 8 {
		t.Errorf("%d bag mutants", len(ms))
	}
}

func TestTextMutants(t *testing.T) {
	ms := textMutants("rig.yaml", []byte("version: 1\nbase_frame: base_link\nsensors:\n  - name: a\n    extrinsic:\n      translation: [1.25, 0.5, 12]\n"), 1)
	want := []string{"half", "flip", "num=nan", "num=1e999", "num=abc", "int=huge", "dupline", "aliasbomb", "list8MiB", "deepnest", "garbage"}
	var names []string
	for _, m := range ms {
		names = append(names, strings.TrimPrefix(m.name, "rig.yaml:"))
	}
	for _, w := range want {
		found := false
		for _, n := range names {
			found = found || n == w
		}
		if !found {
			t.Errorf("no %s mutant in %v", w, names)
		}
	}
}

func TestPanicPattern(t *testing.T) {
	for in, want := range map[string]bool{
		"panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()": true,
		"fatal error: runtime: out of memory\n":                                           true,
		"rigsync: info: x.mcap: truncated chunk at offset 12\n":                           false,
	} {
		if got := panicRe.MatchString(in); got != want {
			t.Errorf("%q: %v", in, got)
		}
	}
}

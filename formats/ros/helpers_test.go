package ros

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/msgdef"
)

// eachMessage reads every message of an MCAP file linearly (the index is
// not trusted, see notes/mcap.md §0).
func eachMessage(t testing.TB, path string, fn func(sc *mcap.Schema, ch *mcap.Channel, m *mcap.Message)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := mcap.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	it, err := r.Messages(mcap.UsingIndex(false))
	if err != nil {
		t.Fatal(err)
	}
	var msg mcap.Message
	for {
		sc, ch, m, err := it.NextInto(&msg)
		if err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("%s: %v", path, err)
		}
		fn(sc, ch, m)
	}
}

// consumed decodes data generically and returns the offset where the
// message ended, to check that a payload is consumed exactly.
func consumed(t testing.TB, d *Decoder, data []byte) (*formats.Record, int) {
	t.Helper()
	r, err := d.open(data)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.record(d.root, d.root.names())
	if err != nil {
		t.Fatal(finish(err, d.enc))
	}
	return rec, r.off
}

// msgText reads an upstream .msg copied under testdata/ros2msgs.
func msgText(t testing.TB, typ string) string {
	t.Helper()
	parts := strings.Split(typ, "/")
	b, err := os.ReadFile(filepath.Join("testdata", "ros2msgs", parts[0], "msg", parts[1]+".msg"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ros2Schema concatenates .msg texts the way rosbag2 does: the root, then
// each dependency after 80 '=' and "MSG: pkg/Type".
func ros2Schema(t testing.TB, root string, deps ...string) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(msgText(t, root))
	for _, d := range deps {
		b.WriteString("\n" + strings.Repeat("=", 80) + "\nMSG: " + d + "\n")
		b.WriteString(msgText(t, d))
	}
	return []byte(b.String())
}

// rec builds a record from name, value pairs.
func rec(kv ...any) *formats.Record {
	r := &formats.Record{}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Add(kv[i].(string), kv[i+1])
	}
	return r
}

// enc is a test-only encoder driven by the same compiled plan: it writes a
// record tree in CDR (either endianness, XCDR1 or XCDR2) or ROS 1.
type enc struct {
	b      []byte
	origin int
	mode   int
	be     bool
	// pad marks the alignment padding bytes written.
	pad map[int]bool
}

func encodeCDR(nd *node, r *formats.Record, be, xcdr2 bool) []byte {
	b, _ := encodeCDRPad(nd, r, be, xcdr2)
	return b
}

// encodeCDRPad also returns the positions of the padding bytes.
func encodeCDRPad(nd *node, r *formats.Record, be, xcdr2 bool) ([]byte, map[int]bool) {
	kind := byte(1)
	if be {
		kind = 0
	}
	e := &enc{origin: 4, mode: alignX1, be: be}
	if xcdr2 {
		e.mode = alignX2
		kind |= 0x06
	}
	e.b = []byte{0, kind, 0, 0}
	e.record(nd, r)
	return e.b, e.pad
}

func encodeROS1(nd *node, r *formats.Record) []byte {
	e := &enc{mode: alignNone}
	e.record(nd, r)
	return e.b
}

func (e *enc) align(n int) {
	a := alignOf(e.mode, n)
	for (len(e.b)-e.origin)%a != 0 {
		if e.pad == nil {
			e.pad = map[int]bool{}
		}
		e.pad[len(e.b)] = true
		e.b = append(e.b, 0)
	}
}

func (e *enc) put(size int, v uint64) {
	e.align(size)
	var tmp [8]byte
	switch size {
	case 1:
		tmp[0] = byte(v)
	case 2:
		if e.be {
			binary.BigEndian.PutUint16(tmp[:], uint16(v))
		} else {
			binary.LittleEndian.PutUint16(tmp[:], uint16(v))
		}
	case 4:
		if e.be {
			binary.BigEndian.PutUint32(tmp[:], uint32(v))
		} else {
			binary.LittleEndian.PutUint32(tmp[:], uint32(v))
		}
	case 8:
		if e.be {
			binary.BigEndian.PutUint64(tmp[:], v)
		} else {
			binary.LittleEndian.PutUint64(tmp[:], v)
		}
	}
	e.b = append(e.b, tmp[:size]...)
}

func bits(k msgdef.Kind, v any) uint64 {
	var f float64
	var i int64
	var u uint64
	isU := false
	switch x := v.(type) {
	case nil:
	case bool:
		if x {
			i = 1
		}
		f = float64(i)
	case int:
		i, f = int64(x), float64(x)
	case int64:
		i, f = x, float64(x)
	case uint64:
		u, f, isU = x, float64(x), true
	case float64:
		f, i = x, int64(x)
	case float32:
		f, i = float64(x), int64(x)
	default:
		panic(fmt.Sprintf("bits: %T", v))
	}
	if !isU {
		u = uint64(i)
	}
	switch k {
	case msgdef.Float32:
		return uint64(math.Float32bits(float32(f)))
	case msgdef.Float64:
		return math.Float64bits(f)
	}
	return u
}

func (e *enc) str(s string) {
	if e.mode == alignNone {
		e.put(4, uint64(len(s)))
		e.b = append(e.b, s...)
		return
	}
	e.put(4, uint64(len(s)+1))
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
}

func (e *enc) record(nd *node, r *formats.Record) {
	if nd.empty {
		if e.mode != alignNone {
			e.b = append(e.b, 0)
		}
		return
	}
	for i := range nd.fields {
		var v any
		if r != nil {
			v, _ = r.Get(nd.fields[i].name)
		}
		e.field(&nd.fields[i], v)
	}
}

func (e *enc) elem(f *fnode, v any) {
	switch {
	case f.sub != nil:
		r, _ := v.(*formats.Record)
		e.record(f.sub, r)
	case f.size == 0:
		s, _ := v.(string)
		e.str(s)
	case f.kind == msgdef.Time || f.kind == msgdef.Duration:
		r, _ := v.(*formats.Record)
		var a, b any
		if r != nil {
			a, b = r.Values[0], r.Values[1]
		}
		e.put(4, bits(msgdef.Uint32, a))
		e.put(4, bits(msgdef.Uint32, b))
	default:
		e.put(f.size, bits(f.kind, v))
	}
}

func (e *enc) field(f *fnode, v any) {
	if f.arr == msgdef.NotArray {
		e.elem(f, v)
		return
	}
	if b, ok := v.([]byte); ok && f.bytes { // fast path for big payloads
		if f.arr == msgdef.Fixed {
			b = append(b[:len(b):len(b)], make([]byte, max(0, f.n-len(b)))...)
		} else {
			e.put(4, uint64(len(b)))
		}
		e.b = append(e.b, b...)
		return
	}
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []byte:
		for _, b := range x {
			items = append(items, uint64(b))
		}
	case []float64:
		for _, b := range x {
			items = append(items, b)
		}
	case []int64:
		for _, b := range x {
			items = append(items, b)
		}
	case []uint64:
		for _, b := range x {
			items = append(items, b)
		}
	}
	if f.arr == msgdef.Fixed {
		for len(items) < f.n {
			items = append(items, nil)
		}
	} else {
		e.put(4, uint64(len(items)))
	}
	for _, it := range items {
		e.elem(f, it)
	}
}

// mustNew compiles a decoder or fails the test.
func mustNew(t testing.TB, name, senc string, data []byte, menc string) *Decoder {
	t.Helper()
	d, err := New(name, senc, data, menc)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	return d
}

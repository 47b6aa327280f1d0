package ros

import (
	"runtime"
	"strings"
	"testing"
)

// TestNoHugeAllocation: counts and fixed array lengths larger than the
// bytes left are errors before anything is allocated.
func TestNoHugeAllocation(t *testing.T) {
	empty := "\n" + strings.Repeat("=", 80) + "\nMSG: pkg/Empty\n"
	for _, tc := range []struct {
		senc, menc, schema string
		data               []byte
	}{
		{"ros2msg", "cdr", "float64[] a", []byte{0, 1, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0}},
		{"ros2msg", "cdr", "string[] a", []byte{0, 1, 0, 0, 255, 255, 255, 255, 1, 0, 0, 0}},
		{"ros2msg", "cdr", "float64[16777216] a", []byte{0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"ros2msg", "cdr", "Empty[] e" + empty, []byte{0, 1, 0, 0, 255, 255, 255, 255, 0}},
		{"ros2msg", "cdr", "B[16777216] b\n" + strings.Repeat("=", 80) + "\nMSG: pkg/B\nfloat64[16777216] x\n", []byte{0, 1, 0, 0, 0}},
		{"ros1msg", "ros1", "Empty[] e" + empty, []byte{255, 255, 255, 255}},
		{"ros1msg", "ros1", "Empty[16777216] e" + empty, []byte{}},
		{"ros1msg", "ros1", "uint8[] data", []byte{255, 255, 255, 127, 1}},
	} {
		d := mustNew(t, "pkg/Root", tc.senc, []byte(tc.schema), tc.menc)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, verr := d.Value(tc.data)
		_, derr := d.Decode(tc.data)
		runtime.ReadMemStats(&after)
		if verr == nil || derr == nil {
			t.Errorf("%q on %x: Value err %v, Decode err %v", tc.schema, tc.data, verr, derr)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%q: allocated %d bytes on a %d-byte input", tc.schema, n, len(tc.data))
		}
	}
}

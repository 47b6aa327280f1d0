package rosenc

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

func TestEncoderPrimitives(t *testing.T) {
	hdr := []byte{0, 1, 0, 0}
	tests := []struct {
		name  string
		write func(e *Encoder)
		want  []byte // after the header
	}{
		{"empty", func(e *Encoder) {}, nil},
		{"bool", func(e *Encoder) { e.Bool(true); e.Bool(false) }, []byte{1, 0}},
		{"int8 uint8", func(e *Encoder) { e.Int8(-2); e.Uint8(200) }, []byte{0xfe, 200}},
		{"uint16 after byte pads 1", func(e *Encoder) { e.Uint8(7); e.Uint16(0x0102) }, []byte{7, 0, 2, 1}},
		{"int16", func(e *Encoder) { e.Int16(-2) }, []byte{0xfe, 0xff}},
		{"uint32 after byte pads 3", func(e *Encoder) { e.Uint8(7); e.Uint32(0x01020304) }, []byte{7, 0, 0, 0, 4, 3, 2, 1}},
		{"int32", func(e *Encoder) { e.Int32(-1) }, []byte{0xff, 0xff, 0xff, 0xff}},
		{"uint64 after uint32 pads 4", func(e *Encoder) { e.Uint32(1); e.Uint64(2) }, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}},
		{"int64", func(e *Encoder) { e.Int64(-2) }, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"float32 1.0", func(e *Encoder) { e.Float32(1) }, []byte{0, 0, 0x80, 0x3f}},
		{"float64 1.0 after byte pads 7", func(e *Encoder) { e.Uint8(9); e.Float64(1) }, []byte{9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
		{"string", func(e *Encoder) { e.String("ab") }, []byte{3, 0, 0, 0, 'a', 'b', 0}},
		{"empty string is a lone NUL", func(e *Encoder) { e.String("") }, []byte{1, 0, 0, 0, 0}},
		{"float64 after string pads", func(e *Encoder) { e.String("ab"); e.Float64(2) }, []byte{3, 0, 0, 0, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40}},
		{"uint8 seq", func(e *Encoder) { e.Uint8Seq([]byte{5, 6, 7}) }, []byte{3, 0, 0, 0, 5, 6, 7}},
		{"uint8 array has no count", func(e *Encoder) { e.Uint8Array([]byte{5, 6}) }, []byte{5, 6}},
		{"seq len", func(e *Encoder) { e.Uint8(1); e.SeqLen(2) }, []byte{1, 0, 0, 0, 2, 0, 0, 0}},
		{"float64 seq first element aligned 8", func(e *Encoder) { e.Float64Seq([]float64{1}) }, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
		{"empty float64 seq adds no pad", func(e *Encoder) { e.Float64Seq(nil); e.Uint8(1) }, []byte{0, 0, 0, 0, 1}},
		{"float64 array", func(e *Encoder) { e.Uint16(1); e.Float64Array([]float64{-2}) }, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0}},
		{"float32 array", func(e *Encoder) { e.Uint8(1); e.Float32Array([]float32{1}) }, []byte{1, 0, 0, 0, 0, 0, 0x80, 0x3f}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, reset := range []bool{false, true} {
				var e Encoder // zero value writes the header on first use
				if reset {
					e.Uint32(0xdeadbeef) // stale content must go
					e.Reset()
				}
				tc.write(&e)
				want := append(append([]byte{}, hdr...), tc.want...)
				if got := e.Bytes(); !bytes.Equal(got, want) || e.Len() != len(want) {
					t.Errorf("reset=%v: got % x, want % x", reset, got, want)
				}
				if e.Err() != nil {
					t.Errorf("Err = %v", e.Err())
				}
			}
		})
	}
}

func TestEncoderTime(t *testing.T) {
	tests := []struct {
		ns   int64
		sec  int32
		nsec uint32
		err  bool
	}{
		{0, 0, 0, false},
		{1, 0, 1, false},
		{999_999_999, 0, 999_999_999, false},
		{1_000_000_000, 1, 0, false},
		{1_700_000_000_123_456_789, 1_700_000_000, 123_456_789, false},
		{-1, -1, 999_999_999, false}, // floor, not truncation
		{-1_000_000_000, -1, 0, false},
		{-1_000_000_001, -2, 999_999_999, false},
		{-1_500_000_000, -2, 500_000_000, false},
		{math.MaxInt32*1e9 + 999_999_999, math.MaxInt32, 999_999_999, false},
		{math.MinInt32 * 1e9, math.MinInt32, 0, false},
		{(math.MaxInt32 + 1) * 1e9, 0, 0, true},
		{math.MinInt32*1e9 - 1, 0, 0, true},
		{math.MaxInt64, 0, 0, true},
		{math.MinInt64, 0, 0, true},
	}
	for _, tc := range tests {
		var e Encoder
		e.Reset()
		e.Time(tc.ns)
		b := e.Bytes()[4:]
		sec := int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
		nsec := uint32(b[4]) | uint32(b[5])<<8 | uint32(b[6])<<16 | uint32(b[7])<<24
		if (e.Err() != nil) != tc.err || sec != tc.sec || nsec != tc.nsec {
			t.Errorf("Time(%d) = {%d, %d} err %v, want {%d, %d} err %v", tc.ns, sec, nsec, e.Err(), tc.sec, tc.nsec, tc.err)
		}
		if tc.err && !strings.Contains(e.Err().Error(), "rosenc: stamp") {
			t.Errorf("Time(%d) error %q", tc.ns, e.Err())
		}
	}
	// Reset clears the error.
	var e Encoder
	e.Time(math.MaxInt64)
	e.Reset()
	if e.Err() != nil {
		t.Errorf("Err after Reset = %v", e.Err())
	}
}

// TestEncodeNoAllocs checks that a reused Encoder does not allocate once
// its buffer has grown.
func TestEncodeNoAllocs(t *testing.T) {
	pc := PackPoints(&formats.Points{X: make([]float32, 1000), Y: make([]float32, 1000), Z: make([]float32, 1000)}, LayoutXYZIRT)
	for _, c := range append(marshalCases(), marshalCase{"cloud", TypePointCloud2, 1, "lidar", pc}) {
		var e Encoder
		if err := e.Encode(c.typ, c.stamp, c.frameID, c.payload); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if err := e.Encode(c.typ, c.stamp, c.frameID, c.payload); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per Encode, want 0", c.name, allocs)
		}
	}
}

func TestEncoderGrow(t *testing.T) {
	var e Encoder
	e.Uint8(1)
	e.Grow(100)
	if cap(e.buf)-len(e.buf) < 100 {
		t.Errorf("Grow(100) left %d bytes", cap(e.buf)-len(e.buf))
	}
	if got := e.Bytes(); !bytes.Equal(got, []byte{0, 1, 0, 0, 1}) {
		t.Errorf("Grow changed content: % x", got)
	}
}

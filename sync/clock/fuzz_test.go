package clock

import (
	"encoding/binary"
	"testing"
)

func FuzzParseModel(f *testing.F) {
	for _, s := range []string{"25ms", "-3.5ms,80", "0s,-1.5", "1h,1e5", ",", "1ms,", "9223372036s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseModel(s)
		if err != nil {
			return
		}
		back, err := ParseModel(m.String())
		if err != nil {
			t.Fatalf("%q → %v does not parse back: %v", s, m, err)
		}
		if back.Offset != m.Offset {
			t.Fatalf("%q → %v → %v", s, m, back)
		}
		_ = m.Correct(1_700_000_000_000_000_000)
	})
}

// FuzzAnalyze feeds arbitrary (stamp, log time) pairs: Analyze must return
// (an error or a result) without panicking, and the Repairer must not
// panic either.
func FuzzAnalyze(f *testing.F) {
	seed := func(pairs ...int64) []byte {
		b := make([]byte, 8*len(pairs))
		for i, p := range pairs {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(p))
		}
		return b
	}
	f.Add(seed(0, 10, 100, 112, 200, 210, 300, 311))
	f.Add(seed(1000, 1, 2000, 2, 3000, 3, 500, 4, 1500, 5))               // wrap, ×1000
	f.Add(seed(5, 5, 5, 6, 5, 7))                                         // equal stamps
	f.Add(seed(-1<<63, 0, 1<<63-1, 1, -1<<63, 2, 1<<63-1, 3))             // extremes
	f.Add(seed(0, 0, 100, 100, 200, 200, 300, 10_000_000_300, 400, 400))  // outlier
	f.Add(seed(0, 0, 100, 100, 200, 200, -1e9, 300, -1e9+100, 400, 5, 5)) // reset
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 16
		stamps, logs := make([]int64, n), make([]int64, n)
		for i := 0; i < n; i++ {
			stamps[i] = int64(binary.LittleEndian.Uint64(data[16*i:]))
			logs[i] = int64(binary.LittleEndian.Uint64(data[16*i+8:]))
		}
		a, err := Analyze(stamps, logs, 0)
		if err != nil {
			return
		}
		p := NewRepairer(a.Repair)
		for _, s := range stamps {
			p.Fix(s)
		}
		if a.Segment[0] < 0 || a.Segment[1] > n || a.Segment[0] > a.Segment[1] {
			t.Fatalf("segment %v of %d samples", a.Segment, n)
		}
	})
}

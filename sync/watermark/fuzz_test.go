package watermark

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/rigsync/rigsync/sync/match"
)

// FuzzGrouper drives a grouper with arbitrary calls (any stamps, any
// order, time going back) and checks that it never panics, that every
// message ends up in exactly one set or one drop, that sets come in stamp
// order, and that the held messages stay bounded.
func FuzzGrouper(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 200, 1, 0, 0, 0, 0, 0, 0, 0, 0, 255, 2, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		k := 2 + int(b[0]%3)
		tol := match.Window{Lo: -time.Duration(b[1]%50+1) * time.Millisecond, Hi: time.Duration(b[1]%50+1) * time.Millisecond}
		streams := make([]Stream, k)
		for i := range streams {
			streams[i] = Stream{Window: tol, Lateness: time.Duration(i) * 10 * time.Millisecond}
		}
		const maxHeld = 8
		seen := map[int]int{}
		prev := int64(-1 << 63)
		g, err := New(Config{Streams: streams, MaxLatency: 100 * time.Millisecond, MaxHeld: maxHeld, QueueSize: 4}, Handler[int]{
			Set: func(s *Set[int]) error {
				if s.Stamp <= prev {
					t.Fatalf("set stamp %d after %d", s.Stamp, prev)
				}
				prev = s.Stamp
				for _, m := range s.Members {
					if m.Present {
						seen[m.Value]++
					}
				}
				return nil
			},
			Drop: func(_ int, m match.Member[int], _ Reason) { seen[m.Value]++ },
		})
		if err != nil {
			t.Fatal(err)
		}
		id := 0
		for b = b[2:]; len(b) >= 5; b = b[5:] {
			now := int64(binary.LittleEndian.Uint16(b[1:])) * int64(time.Millisecond)
			stamp := now - int64(int16(binary.LittleEndian.Uint16(b[3:])))*int64(time.Millisecond)/4
			switch b[0] % 8 {
			case 7:
				if err := g.Advance(now); err != nil {
					t.Fatal(err)
				}
			default:
				if err := g.Push(now, int(b[0])%k, stamp, id); err != nil {
					t.Fatal(err)
				}
				id++
			}
			if g.Held() > k*(maxHeld+1) {
				t.Fatalf("%d held", g.Held())
			}
		}
		if err := g.Flush(1 << 40); err != nil {
			t.Fatal(err)
		}
		for i := range id {
			if seen[i] != 1 {
				t.Fatalf("message %d accounted for %d times", i, seen[i])
			}
		}
	})
}

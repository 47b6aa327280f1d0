package rtsp

import (
	"encoding/binary"
	"testing"

	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
)

// FuzzParseSenderReport: never panics; a parsed report's fields are the
// bytes at the offset its packet starts.
func FuzzParseSenderReport(f *testing.F) {
	f.Add(rtsptest.EncodeSenderReport(1, 1_709_294_400_123_456_789, 90000, 1, 2))
	f.Add([]byte{0x80, 201, 0, 1, 1, 2, 3, 4})
	f.Add([]byte{0x81, 200, 0, 6})
	f.Fuzz(func(t *testing.T, b []byte) {
		sr, err := ParseSenderReport(b)
		if err != nil {
			return
		}
		off := 0
		for b[off+1] != rtcpSR {
			off += (int(binary.BigEndian.Uint16(b[off+2:])) + 1) * 4
		}
		if sr.SSRC != binary.BigEndian.Uint32(b[off+4:]) || sr.NTP != binary.BigEndian.Uint64(b[off+8:]) {
			t.Fatalf("report %+v does not match the bytes at offset %d", sr, off)
		}
		// The NTP conversion round-trips within the 1 ns resolution (4.3 ticks of 2^-32 s: ±3 after rounding twice).
		back := UnixNanoToNTP(sr.UnixNano())
		if d := int64(back - sr.NTP); uint32(sr.NTP>>32) < 0xFFFFFFFF && (d > 3 || d < -3) {
			t.Fatalf("NTP %#x → %d ns → %#x", sr.NTP, sr.UnixNano(), back)
		}
	})
}

// FuzzUnwrap: each unwrapped value is congruent to its input mod 2^32 and
// within ±2^31 of the previous one.
func FuzzUnwrap(f *testing.F) {
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0x10, 0})
	f.Add([]byte{0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var u Unwrapper
		var prev int64
		for i := 0; i+4 <= len(b); i += 4 {
			ts := binary.BigEndian.Uint32(b[i:])
			got := u.Unwrap(ts)
			if uint32(got) != ts {
				t.Fatalf("Unwrap(%#x) = %#x: not congruent", ts, got)
			}
			if i > 0 && (got-prev > 1<<31-1 || got-prev < -(1<<31)) {
				t.Fatalf("Unwrap(%#x) = %#x jumped from %#x", ts, got, prev)
			}
			prev = got
		}
	})
}

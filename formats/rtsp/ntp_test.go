package rtsp

import (
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
)

func TestNTPToUnixNano(t *testing.T) {
	cases := []struct {
		name string
		ntp  uint64
		want int64
	}{
		{"unix epoch", 2208988800 << 32, 0},
		{"half second", 2208988800<<32 | 0x80000000, 500_000_000},
		{"quarter second", 2208988801<<32 | 0x40000000, 1_250_000_000},
		{"one tick of 2^-32 s rounds to 0 ns", 2208988800<<32 | 1, 0},
		{"largest fraction rounds up to the next second", 2208988800<<32 | 0xFFFFFFFF, 1_000_000_000},
		// 2024-03-01T12:00:00.123456789Z: NTP seconds 1709294400 + 2208988800 = 3918283200, fraction
		// 0.123456789 × 2^32 = 530242871.2 → 0x1F9ADD37.
		{"2024", 3918283200<<32 | 0x1F9ADD37, time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()},
		{"before 1970", 0, -2208988800 * 1e9},
	}
	for _, tc := range cases {
		if got := NTPToUnixNano(tc.ntp); got != tc.want {
			t.Errorf("%s: NTPToUnixNano(%#x) = %d, want %d", tc.name, tc.ntp, got, tc.want)
		}
	}
}

func TestUnixNanoToNTPRoundTrip(t *testing.T) {
	for _, ns := range []int64{0, 1, 999_999_999, 1_000_000_000, 1_709_294_400_123_456_789, -1, -1_500_000_000} {
		got := NTPToUnixNano(UnixNanoToNTP(ns))
		if got != ns {
			t.Errorf("round trip %d → %#x → %d", ns, UnixNanoToNTP(ns), got)
		}
	}
	if UnixNanoToNTP(0) != 2208988800<<32 {
		t.Errorf("UnixNanoToNTP(0) = %#x", UnixNanoToNTP(0))
	}
}

func TestParseSenderReport(t *testing.T) {
	capture := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()
	sr := rtsptest.EncodeSenderReport(0xDEADBEEF, capture, 0xFFFFFF00, 7, 1234)
	rr := []byte{0x80, 201, 0, 1, 1, 2, 3, 4} // empty receiver report
	withBlock := append([]byte(nil), sr...)
	withBlock[0] |= 1 // claims one report block it does not carry
	long := append(append([]byte(nil), sr...), make([]byte, 24)...)
	long[0] |= 1
	long[3] = 12
	cases := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"alone", sr, ""},
		{"after a receiver report", append(append([]byte(nil), rr...), sr...), ""},
		{"with a report block", long, ""},
		{"empty", nil, "no sender report"},
		{"only a receiver report", rr, "no sender report"},
		{"truncated header", sr[:3], "offset 0"},
		{"truncated body", sr[:20], "exceeds"},
		{"missing report block", withBlock, "report blocks"},
		{"version 1", append([]byte{0x40}, sr[1:]...), "version 1"},
		{"bad second packet", append(append([]byte(nil), rr...), 0x80, 200, 0, 9), "offset 8"},
	}
	for _, tc := range cases {
		got, err := ParseSenderReport(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.SSRC != 0xDEADBEEF || got.RTP != 0xFFFFFF00 || got.Packets != 7 || got.Octets != 1234 || got.UnixNano() != capture {
			t.Errorf("%s: %+v (time %d, want %d)", tc.name, got, got.UnixNano(), capture)
		}
	}
}

func TestUnwrapper(t *testing.T) {
	cases := []struct {
		name string
		in   []uint32
		want []int64
	}{
		{"forward", []uint32{100, 3100, 6100}, []int64{100, 3100, 6100}},
		{"wrap", []uint32{0xFFFFF000, 0x00000F00, 0x00010000}, []int64{0xFFFFF000, 0x100000F00, 0x100010000}},
		{"reordered across the wrap", []uint32{0x00000100, 0xFFFFFF00, 0x00000200}, []int64{0x100, -0x100, 0x200}},
		{"half range forward", []uint32{0, 0x7FFFFFFF}, []int64{0, 0x7FFFFFFF}},
		{"just over half range is backward", []uint32{0, 0x80000000}, []int64{0, -0x80000000}},
	}
	for _, tc := range cases {
		var u Unwrapper
		for i, ts := range tc.in {
			if got := u.Unwrap(ts); got != tc.want[i] {
				t.Errorf("%s: step %d: Unwrap(%#x) = %#x, want %#x", tc.name, i, ts, got, tc.want[i])
			}
		}
	}
}

func TestTicksToNs(t *testing.T) {
	cases := []struct{ ticks, clock, want int64 }{
		{90000, 90000, 1e9},
		{1, 90000, 11111},
		{2, 90000, 22222},
		{-1, 90000, -11111},
		{-90001, 90000, -1_000_011_111},
		{1 << 40, 90000, 12_216_795_864_177_778}, // 2^40 ticks = 141 days: no overflow
	}
	for _, tc := range cases {
		if got := ticksToNs(tc.ticks, tc.clock); got != tc.want {
			t.Errorf("ticksToNs(%d, %d) = %d, want %d", tc.ticks, tc.clock, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"rtsp://alice:pw@cam:554/stream", "rtsp://alice:xxxxx@cam:554/stream"},
		{"rtsp://alice@cam/stream", "rtsp://alice@cam/stream"},
		{"rtsp://cam/stream?channel=1&token=abc", "rtsp://cam/stream?channel=1&token=xxxxx"},
		{"rtsp://cam/s?user=bob&password=hunter2", "rtsp://cam/s?password=xxxxx&user=bob"},
		{"rtsp://a:b@[::1", "<unparsable url>"},
	}
	for _, tc := range cases {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	r := secrets("rtsp://alice:p%40ss@cam/x")
	if got := r.Replace(`dial rtsp://alice:p%40ss@cam/x: auth p@ss failed`); strings.Contains(got, "p@ss") || strings.Contains(got, "p%40ss") {
		t.Errorf("scrubbed: %s", got)
	}
}

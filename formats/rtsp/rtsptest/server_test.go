package rtsptest

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"
)

func TestTestJPEGIndex(t *testing.T) {
	for _, tc := range []struct{ w, h, index int }{
		{64, 16, 0}, {64, 48, 1}, {320, 240, 0xBEEF}, {1280, 720, 12345}, {64, 48, 0x1FFFF},
	} {
		b, err := TestJPEG(tc.w, tc.h, tc.index)
		if err != nil {
			t.Fatal(err)
		}
		got, err := JPEGIndex(b)
		if err != nil || got != tc.index&0xFFFF {
			t.Errorf("%dx%d index %d: read %d, %v", tc.w, tc.h, tc.index, got, err)
		}
	}
	for _, bad := range [][2]int{{60, 48}, {64, 8}, {2048, 64}} {
		if _, err := TestJPEG(bad[0], bad[1], 0); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestEncodeSenderReport(t *testing.T) {
	ns := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()
	got := EncodeSenderReport(0x01020304, ns, 0xA0B0C0D0, 5, 6)
	// V=2 PT=200 length=6; SSRC; NTP seconds 1709294400 + 2208988800 =
	// 3918283200 = 0xE98C41C0; fraction round(0.123456789 × 2^32) = 0x1F9ADD37.
	want, _ := hex.DecodeString("80c80006" + "01020304" + "e98c41c0" + "1f9add37" + "a0b0c0d0" + "00000005" + "00000006")
	if !bytes.Equal(got, want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
}

func TestSplitAccessUnits(t *testing.T) {
	sc := []byte{0, 0, 0, 1}
	join := func(nalus ...[]byte) []byte {
		var b []byte
		for _, n := range nalus {
			b = append(append(b, sc...), n...)
		}
		return b
	}
	// H.264: SPS, PPS, IDR slice (first_mb_in_slice = 0: top bit set), then
	// two slices of one P picture (second has first_mb ≠ 0), then a P picture.
	sps, pps := []byte{0x67, 0x42}, []byte{0x68, 0xCE}
	idr, p1a, p1b, p2 := []byte{0x65, 0x88, 1}, []byte{0x41, 0x9A, 2}, []byte{0x41, 0x40, 3}, []byte{0x41, 0x9A, 4}
	aus, err := SplitAccessUnits(H264, join(sps, pps, idr, p1a, p1b, p2))
	if err != nil {
		t.Fatal(err)
	}
	if len(aus) != 3 || len(aus[0]) != 3 || len(aus[1]) != 2 || len(aus[2]) != 1 {
		t.Errorf("h264: %d units: %x", len(aus), aus)
	}
	// H.265: VPS, SPS, PPS, IDR_W_RADL, TRAIL_R, TRAIL_R (two-byte headers;
	// first_slice_segment_in_pic_flag is the top bit of the third byte).
	vps, sps5, pps5 := []byte{0x40, 0x01, 0}, []byte{0x42, 0x01, 0}, []byte{0x44, 0x01, 0}
	idr5, t1, t2 := []byte{0x26, 0x01, 0xAF}, []byte{0x02, 0x01, 0xD0}, []byte{0x02, 0x01, 0x80}
	aus, err = SplitAccessUnits(H265, join(vps, sps5, pps5, idr5, t1, t2))
	if err != nil {
		t.Fatal(err)
	}
	if len(aus) != 3 || len(aus[0]) != 4 {
		t.Errorf("h265: %d units: %x", len(aus), aus)
	}
	if _, err := SplitAccessUnits(H264, []byte{1, 2, 3}); err == nil {
		t.Error("no error for a stream without start codes")
	}
}

func TestServerRestartKeepsPortsAndClock(t *testing.T) {
	jpegs, err := TestJPEGs(64, 48, 2)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(Config{UDP: true, DriftPPM: 1000, Media: []Media{{Codec: MJPEG, FPS: 50, JPEGs: jpegs}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := s.Addr()
	time.Sleep(200 * time.Millisecond)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Errorf("restarted on %s, was %s", s.Addr(), addr)
	}
	time.Sleep(200 * time.Millisecond)
	truth := s.Truth()
	runs := map[int]int{}
	for i, f := range truth {
		runs[f.Run]++
		if i == 0 {
			continue
		}
		p := truth[i-1]
		dc, dh := f.Capture-p.Capture, f.Host-p.Host
		if f.Index <= p.Index || dc <= 0 {
			t.Errorf("frame %d after %d: capture +%d, host +%d", f.Index, p.Index, dc, dh)
		}
		if f.Run == p.Run {
			if got, want := int64(f.RTP-p.RTP), (dc*90000+5e8)/1e9; got < want-1 || got > want+1 {
				t.Errorf("frame %d: rtp +%d, want +%d (90 kHz on the camera clock)", f.Index, got, want)
			}
		}
	}
	// The camera clock runs 1000 ppm fast against the host's.
	first, last := truth[0], truth[len(truth)-1]
	if rate := float64(last.Capture-first.Capture) / float64(last.Host-first.Host); rate < 1.0009 || rate > 1.0011 {
		t.Errorf("camera clock rate %.6f, want 1.001", rate)
	}
	if runs[1] < 5 || runs[2] < 5 {
		t.Errorf("frames per run: %v", runs)
	}
}

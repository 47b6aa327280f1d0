package annexb

import "testing"

// BenchmarkAccessUnits cuts a synthetic H.264 stream of 300 access units
// (AUD, SEI, two slices each; SPS and PPS before every tenth), which runs
// Split, Classify and the access unit boundary rules.
func BenchmarkAccessUnits(b *testing.B) {
	aud, sps, pps, sei := []byte{0x09, 0xf0}, []byte{0x67, 0x42, 0, 0x1e}, []byte{0x68, 0xce}, []byte{0x06, 5, 1, 0x80}
	slice := make([]byte, 2000)
	for i := range slice {
		slice[i] = byte(i%251 + 1)
	}
	var stream []byte
	for i := range 300 {
		typ := byte(0x41)
		if i%10 == 0 {
			typ = 0x65
			stream = Join(stream, aud, sps, pps)
		} else {
			stream = Join(stream, aud)
		}
		first, second := append([]byte{typ, 0x88}, slice...), append([]byte{typ, 0x20}, slice...)
		stream = Join(stream, sei, first, second)
	}
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		if n := len(AccessUnits(H264, stream)); n != 300 {
			b.Fatalf("%d access units", n)
		}
	}
}

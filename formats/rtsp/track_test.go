package rtsp

import (
	"bytes"
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/annexb"
)

// TestH26xDepackParams: a keyframe without an SPS gets the parameter sets
// of the session description in front; one with an SPS, and a
// non-keyframe, pass through as sent.
func TestH26xDepackParams(t *testing.T) {
	j := func(nalus ...[]byte) []byte { return annexb.Join(nil, nalus...) }
	sps, pps, idr, p := []byte{0x67, 0x42, 0xc0, 0x1e}, []byte{0x68, 0xce, 0x3c, 0x80}, []byte{0x65, 0x88, 0x84}, []byte{0x41, 0x9a, 0x02}
	vps, sps5, pps5 := []byte{0x40, 0x01, 0x0c}, []byte{0x42, 0x01, 0x01}, []byte{0x44, 0x01, 0xc1}
	cra, trail := []byte{0x2a, 0x01, 0xaf}, []byte{0x02, 0x01, 0xd0}
	f264 := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
	f265 := &format.H265{PayloadTyp: 96, VPS: vps, SPS: sps5, PPS: pps5}
	for _, tc := range []struct {
		name string
		f    format.Format
		au   [][]byte
		want []byte
		key  bool
	}{
		{"h264 bare IDR", f264, [][]byte{idr}, j(sps, pps, idr), true},
		{"h264 IDR with SPS", f264, [][]byte{sps, idr}, j(sps, idr), true},
		{"h264 P", f264, [][]byte{p}, j(p), false},
		{"h265 bare CRA", f265, [][]byte{cra}, j(vps, sps5, pps5, cra), true},
		{"h265 CRA with SPS", f265, [][]byte{sps5, cra}, j(sps5, cra), true},
		{"h265 trailing picture", f265, [][]byte{trail}, j(trail), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := newDepacketizer(trackSpec{format: tc.f})
			if err != nil {
				t.Fatal(err)
			}
			pkts := encodeAU(t, tc.f, tc.au)
			var got *formats.CompressedVideo
			for _, pkt := range pkts {
				payload, _, _, ok, err := d.push(pkt)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					got = payload.(*formats.CompressedVideo)
				}
			}
			if got == nil {
				t.Fatal("no access unit")
			}
			if !bytes.Equal(got.Data, tc.want) || got.Keyframe != tc.key {
				t.Errorf("got %x keyframe %v, want %x keyframe %v", got.Data, got.Keyframe, tc.want, tc.key)
			}
		})
	}
}

// encodeAU packetizes one access unit with the format's gortsplib encoder
// (the last packet carries the marker bit).
func encodeAU(t *testing.T, f format.Format, au [][]byte) []*rtp.Packet {
	t.Helper()
	var pkts []*rtp.Packet
	var err error
	switch f := f.(type) {
	case *format.H264:
		enc, e := f.CreateEncoder()
		if e != nil {
			t.Fatal(e)
		}
		pkts, err = enc.Encode(au)
	case *format.H265:
		enc, e := f.CreateEncoder()
		if e != nil {
			t.Fatal(e)
		}
		pkts, err = enc.Encode(au)
	}
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

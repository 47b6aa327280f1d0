package rtsp

import (
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpmjpeg"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/annexb"
)

// Codec names of the tracks a Client reads.
const (
	CodecMJPEG = "mjpeg"
	CodecH264  = annexb.H264
	CodecH265  = annexb.H265
)

// trackSpec is one media of a session that the Client reads.
type trackSpec struct {
	media  *description.Media
	format format.Format
	codec  string
	topic  string
}

// pickTracks chooses, per media, the first MJPEG/H264/H265 format, and
// names the topics. It returns an error naming what the URL offered when
// nothing is readable.
func pickTracks(desc *description.Session, name string) ([]trackSpec, error) {
	var out []trackSpec
	var seen []string
	used := map[string]int{}
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			seen = append(seen, fmt.Sprintf("%s/%s", m.Type, f.Codec()))
			var codec, topic string
			switch f.(type) {
			case *format.MJPEG:
				codec, topic = CodecMJPEG, "/"+name+"/image/compressed"
			case *format.H264:
				codec, topic = CodecH264, "/"+name+"/video"
			case *format.H265:
				codec, topic = CodecH265, "/"+name+"/video"
			default:
				continue
			}
			if k := used[topic]; k > 0 {
				topic = fmt.Sprintf("%s_%d", topic, k+1)
			}
			used[topic]++
			out = append(out, trackSpec{media: m, format: f, codec: codec, topic: topic})
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("rtsp: no MJPEG, H264 or H265 video track (offered: %v)", seen)
	}
	return out, nil
}

// depacketizer turns the RTP packets of one track into frames.
type depacketizer interface {
	// push takes one packet; when it completes a frame it returns the
	// frame's payload, its RTP timestamp and ok.
	push(pkt *rtp.Packet) (payload formats.Payload, size int, ts uint32, ok bool, err error)
}

func newDepacketizer(s trackSpec) (depacketizer, error) {
	switch f := s.format.(type) {
	case *format.MJPEG:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return &mjpegDepack{dec: d}, nil
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return &h26xDepack{h264: d, f264: f}, nil
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return &h26xDepack{h265: d, f265: f}, nil
	}
	return nil, fmt.Errorf("rtsp: unsupported format %s", s.format.Codec())
}

type mjpegDepack struct{ dec *rtpmjpeg.Decoder }

func (d *mjpegDepack) push(pkt *rtp.Packet) (formats.Payload, int, uint32, bool, error) {
	img, err := d.dec.Decode(pkt)
	if err != nil {
		if errors.Is(err, rtpmjpeg.ErrMorePacketsNeeded) || errors.Is(err, rtpmjpeg.ErrNonStartingPacketAndNoPrevious) {
			err = nil
		}
		return nil, 0, 0, false, err
	}
	return &formats.CompressedImage{Format: "jpeg", Data: img}, len(img), pkt.Timestamp, true, nil
}

// h26xDepack depacketizes H.264 or H.265. The gortsplib decoders end an
// access unit on the marker bit, or, for cameras that never set it, when
// the timestamp changes: then the returned unit belongs to the previous
// timestamp, which prevTS remembers.
type h26xDepack struct {
	h264          *rtph264.Decoder
	h265          *rtph265.Decoder
	f264          *format.H264
	f265          *format.H265
	curTS, prevTS uint32
	haveTS        bool
}

func (d *h26xDepack) push(pkt *rtp.Packet) (formats.Payload, int, uint32, bool, error) {
	if !d.haveTS || pkt.Timestamp != d.curTS {
		d.prevTS, d.curTS, d.haveTS = d.curTS, pkt.Timestamp, true
	}
	var au [][]byte
	var err error
	if d.h264 != nil {
		au, err = d.h264.Decode(pkt)
		if errors.Is(err, rtph264.ErrMorePacketsNeeded) || errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) {
			return nil, 0, 0, false, nil
		}
	} else {
		au, err = d.h265.Decode(pkt)
		if errors.Is(err, rtph265.ErrMorePacketsNeeded) || errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious) {
			return nil, 0, 0, false, nil
		}
	}
	if err != nil {
		return nil, 0, 0, false, err
	}
	ts := pkt.Timestamp
	if !pkt.Marker {
		ts = d.prevTS // emitted because the timestamp changed
	}
	var key bool
	var codec string
	if d.h264 != nil {
		codec, key = CodecH264, h264.IsRandomAccess(au)
		if key && !hasSPS(CodecH264, au) {
			sps, pps := d.f264.SafeParams()
			if sps != nil && pps != nil {
				au = append([][]byte{sps, pps}, au...)
			}
		}
	} else {
		codec, key = CodecH265, h265.IsRandomAccess(au)
		if key && !hasSPS(CodecH265, au) {
			vps, sps, pps := d.f265.SafeParams()
			if vps != nil && sps != nil && pps != nil {
				au = append([][]byte{vps, sps, pps}, au...)
			}
		}
	}
	data, err := h264.AnnexB(au).Marshal()
	if err != nil {
		return nil, 0, 0, false, err
	}
	return &formats.CompressedVideo{Format: codec, Data: data, Keyframe: key}, len(data), ts, true, nil
}

// hasSPS reports whether an access unit of the codec holds a sequence
// parameter set.
func hasSPS(codec string, au [][]byte) bool {
	for _, n := range au {
		if annexb.Classify(codec, n) == annexb.SPS {
			return true
		}
	}
	return false
}

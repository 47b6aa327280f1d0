// Package annexb reads and writes H.264 and H.265 access units in Annex B
// byte-stream form (ITU-T H.264 / H.265 Annex B): NAL units each preceded
// by a start code 00 00 01 or 00 00 00 01. It is what foxglove
// CompressedVideo carries, one access unit per message.
//
// It knows just enough of the NAL unit header to tell keyframes (IDR for
// H.264, IRAP for H.265) and parameter sets (SPS/PPS, plus VPS for H.265)
// apart; it decodes no pictures. NAL unit types are mediacommon's
// (github.com/bluenviron/mediacommon/v2/pkg/codecs/h264 and h265, the
// codec library under gortsplib).
//
// What is here is what mediacommon lacks or does differently:
//
//   - Split, not h264.AnnexB.Unmarshal: Unmarshal fails on bytes before the
//     first start code, on data without a start code and on more than
//     h264.MaxAccessUnitSize (8 MiB) in all, which a whole elementary
//     stream (AccessUnits' input) easily exceeds; and it keeps the
//     trailing_zero_8bits before a 4-byte start code in the NAL unit. Split
//     skips leading bytes, returns nil for no start code, has no size cap
//     and drops trailing zero bytes. On input that Unmarshal accepts, Split
//     returns Unmarshal's NAL units with trailing zeros trimmed and those
//     left empty dropped (TestSplitMatchesMediacommon, FuzzSplit). It also
//     finds start codes with bytes.Index, about a hundred times faster than
//     Unmarshal's byte loop on a 200 kB access unit (BenchmarkSplit).
//   - Join appends to a caller's buffer (ParamCache.Fix reuses one per
//     stream); its bytes are h264.AnnexB.Marshal's.
//   - Classify's H.265 keyframes are all IRAP types, 16..23: BLA (16..18)
//     and the reserved IRAP types too, where h265.IsRandomAccess counts
//     only IDR and CRA (19..21). For H.264 both mean IDR (type 5).
//   - ParamCache and AccessUnits have no counterpart in mediacommon.
package annexb

import (
	"bytes"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// Codec names, as foxglove CompressedVideo.format spells them.
const (
	H264 = "h264"
	H265 = "h265"
)

// startCode is the 4-byte start code Join writes.
var startCode = []byte{0, 0, 0, 1}

// Split returns the NAL units of an Annex B access unit, without start
// codes, aliasing data. Bytes before the first start code and empty NAL
// units are dropped; the trailing zero bytes that precede a 4-byte start
// code (or end the stream) are not part of a NAL unit. Data without any
// start code yields nil.
func Split(data []byte) [][]byte {
	var out [][]byte
	i := bytes.Index(data, []byte{0, 0, 1})
	for i >= 0 {
		start := i + 3
		next := bytes.Index(data[start:], []byte{0, 0, 1})
		end := len(data)
		if next >= 0 {
			end = start + next
		}
		nal := data[start:end]
		for len(nal) > 0 && nal[len(nal)-1] == 0 {
			nal = nal[:len(nal)-1]
		}
		if len(nal) > 0 {
			out = append(out, nal)
		}
		if next < 0 {
			break
		}
		i = start + next
	}
	return out
}

// Join writes NAL units as one Annex B access unit with 4-byte start
// codes, appending to dst.
func Join(dst []byte, nalus ...[]byte) []byte {
	for _, n := range nalus {
		dst = append(dst, startCode...)
		dst = append(dst, n...)
	}
	return dst
}

// Kind is what a NAL unit is, as far as keyframes are concerned.
type Kind uint8

// NAL unit kinds.
const (
	Other    Kind = iota
	VPS           // H.265 video parameter set (type 32)
	SPS           // sequence parameter set (H.264 type 7, H.265 type 33)
	PPS           // picture parameter set (H.264 type 8, H.265 type 34)
	Keyframe      // an IDR slice (H.264 type 5) or IRAP slice (H.265 types 16..23)
	Picture       // any other coded slice (H.264 1..4, H.265 0..15)
)

// Classify returns the kind of one NAL unit (without start code) of the
// codec. An empty NAL unit is Other.
func Classify(codec string, nal []byte) Kind {
	if len(nal) == 0 {
		return Other
	}
	switch codec {
	case H264:
		switch t := type264(nal); {
		case t == h264.NALUTypeIDR:
			return Keyframe
		case t >= h264.NALUTypeNonIDR && t <= h264.NALUTypeDataPartitionC:
			return Picture
		case t == h264.NALUTypeSPS:
			return SPS
		case t == h264.NALUTypePPS:
			return PPS
		}
	case H265:
		switch t := type265(nal); {
		case t >= h265.NALUType_BLA_W_LP && t <= h265.NALUType_RSV_IRAP_VCL23:
			return Keyframe
		case t <= h265.NALUType_RSV_VCL_R15:
			return Picture
		case t == h265.NALUType_VPS_NUT:
			return VPS
		case t == h265.NALUType_SPS_NUT:
			return SPS
		case t == h265.NALUType_PPS_NUT:
			return PPS
		}
	}
	return Other
}

// type264 is the nal_unit_type of a non-empty H.264 NAL unit (the low 5
// bits of its 1-byte header).
func type264(nal []byte) h264.NALUType { return h264.NALUType(nal[0] & 0x1f) }

// type265 is the nal_unit_type of a non-empty H.265 NAL unit (bits 1..6
// of the first byte of its 2-byte header).
func type265(nal []byte) h265.NALUType { return h265.NALUType((nal[0] >> 1) & 0x3f) }

// Info summarises an access unit.
type Info struct {
	// Keyframe: the access unit holds an IDR (H.264) or IRAP (H.265)
	// slice.
	Keyframe bool
	// HasParams: it holds every parameter set a decoder needs to start
	// there (SPS and PPS, and VPS for H.265).
	HasParams bool
	// NALUs is the number of NAL units.
	NALUs int
}

// Inspect classifies the NAL units of an Annex B access unit.
func Inspect(codec string, data []byte) Info {
	var seen [Picture + 1]bool
	nalus := Split(data)
	for _, n := range nalus {
		seen[Classify(codec, n)] = true
	}
	params := seen[SPS] && seen[PPS] && (codec != H265 || seen[VPS])
	return Info{Keyframe: seen[Keyframe], HasParams: params, NALUs: len(nalus)}
}

// ParamCache remembers the latest parameter sets of one stream and puts
// them in front of keyframes that lack them, so that every keyframe is a
// point a decoder can start from (foxglove CompressedVideo requires this).
// The zero value is ready for use; it is not safe for concurrent use.
type ParamCache struct {
	codec         string
	vps, sps, pps []byte
}

// NewParamCache returns a cache for the codec (H264 or H265).
func NewParamCache(codec string) (*ParamCache, error) {
	if codec != H264 && codec != H265 {
		return nil, fmt.Errorf("annexb: unknown codec %q (want %q or %q)", codec, H264, H265)
	}
	return &ParamCache{codec: codec}, nil
}

// Fix records the parameter sets of an access unit and returns the access
// unit with the cached parameter sets prepended when it is a keyframe
// lacking some of them (appended to dst; data itself is unchanged when no
// fix is needed and then returned as is). ok is false for a keyframe whose
// parameter sets have never been seen: it is returned unchanged.
func (c *ParamCache) Fix(dst, data []byte) (out []byte, info Info, ok bool) {
	nalus := Split(data)
	var has [Picture + 1]bool
	for _, n := range nalus {
		k := Classify(c.codec, n)
		has[k] = true
		switch k {
		case VPS:
			c.vps = append(c.vps[:0], n...)
		case SPS:
			c.sps = append(c.sps[:0], n...)
		case PPS:
			c.pps = append(c.pps[:0], n...)
		}
	}
	needVPS := c.codec == H265
	info = Info{Keyframe: has[Keyframe], NALUs: len(nalus),
		HasParams: has[SPS] && has[PPS] && (!needVPS || has[VPS])}
	if !info.Keyframe || info.HasParams {
		return data, info, true
	}
	if c.sps == nil || c.pps == nil || (needVPS && c.vps == nil) {
		return data, info, false
	}
	// The parameter sets (the cache now holds the in-band ones too) go in
	// order VPS, SPS, PPS after an access unit delimiter (and anything
	// else that precedes the picture) and before the first slice.
	placed := false
	put := func(n []byte) {
		switch Classify(c.codec, n) {
		case VPS, SPS, PPS:
			return // rewritten below
		case Keyframe, Picture:
			if !placed {
				placed = true
				if needVPS {
					dst = Join(dst, c.vps)
				}
				dst = Join(dst, c.sps, c.pps)
			}
		}
		dst = Join(dst, n)
	}
	for _, n := range nalus {
		put(n)
	}
	info.HasParams = true
	info.NALUs = len(Split(dst))
	return dst, info, true
}

// firstSlice reports whether a VCL NAL unit starts a new picture: H.264
// first_mb_in_slice == 0 (ue(v) "1" as the first bit after the 1-byte
// header), H.265 first_slice_segment_in_pic_flag (first bit after the
// 2-byte header).
func firstSlice(codec string, nal []byte) bool {
	switch codec {
	case H264:
		return len(nal) > 1 && nal[1]&0x80 != 0
	case H265:
		return len(nal) > 2 && nal[2]&0x80 != 0
	}
	return false
}

// startsAU reports whether a non-VCL NAL unit, met after a picture, opens
// the next access unit (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4): access unit
// delimiters, parameter sets and prefix SEI do; suffix SEI, end of
// sequence/stream and filler data stay with the picture before.
func startsAU(codec string, nal []byte) bool {
	switch codec {
	case H264:
		switch t := type264(nal); t {
		case h264.NALUTypeSEI, h264.NALUTypeSPS, h264.NALUTypePPS, h264.NALUTypeAccessUnitDelimiter,
			h264.NALUTypePrefix, h264.NALUTypeSubsetSPS, h264.NALUTypeReserved16, h264.NALUTypeReserved17,
			h264.NALUTypeReserved18:
			return true
		}
	case H265:
		switch t := type265(nal); {
		case t == h265.NALUType_VPS_NUT, t == h265.NALUType_SPS_NUT, t == h265.NALUType_PPS_NUT,
			t == h265.NALUType_AUD_NUT, t == h265.NALUType_PREFIX_SEI_NUT:
			return true
		case t >= 41 && t <= 44: // RSV_NVCL41..44
			return true
		case t >= 48 && t <= 55: // UNSPEC48..55
			return true
		}
	}
	return false
}

// AccessUnits cuts an Annex B elementary stream (as `ffmpeg -f h264` or
// `-f hevc` writes it) into access units, each re-joined with 4-byte start
// codes. A new access unit starts at the first slice of a picture, or at
// an access unit delimiter, parameter set or prefix SEI that follows a
// picture. NAL units before the first picture stay with it.
func AccessUnits(codec string, stream []byte) [][]byte {
	var out [][]byte
	var cur [][]byte
	havePic := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, Join(nil, cur...))
		}
		cur, havePic = cur[:0], false
	}
	for _, n := range Split(stream) {
		switch k := Classify(codec, n); k {
		case Keyframe, Picture:
			if havePic && firstSlice(codec, n) {
				flush()
			}
			havePic = true
		default:
			if havePic && startsAU(codec, n) {
				flush()
			}
		}
		cur = append(cur, n)
	}
	flush()
	return out
}

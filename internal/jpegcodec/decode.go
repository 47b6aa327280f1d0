package jpegcodec

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
)

// Decode decodes a JPEG file. A baseline one (SOF0 or SOF1: sequential
// DCT, Huffman, 8-bit) with a single interleaved scan, no restart
// interval, and either one component or three in 4:2:0 (Y 2×2, Cb and Cr
// 1×1) is decoded here; the image is exactly image/jpeg.Decode's (same
// type, bounds, strides, plane sizes and samples, padding included).
// Anything else — progressive, arithmetic, 12-bit, restart intervals,
// other subsamplings, Adobe or RGB-tagged files, several scans, and every
// file that is damaged or merely unusual (a marker inside the scan,
// missing data, a code no table has, junk between segments) — is handed
// to image/jpeg, whose image or error is returned.
func Decode(data []byte) (image.Image, error) {
	if img := decodeFast(data); img != nil {
		return img, nil
	}
	return jpeg.Decode(bytes.NewReader(data))
}

// frame is what the segments before the scan define.
type frame struct {
	w, h  int
	ncomp int
	// ids are the components' identifiers, tq their quantisation tables.
	ids, tq [3]uint8
	quant   [4]*[64]int32
	huff    [2][2]*huffDecoder // [class: 0 DC, 1 AC][id]
}

// decodeFast decodes what Decode's doc says it decodes here, nil for
// anything else.
func decodeFast(data []byte) image.Image {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return nil
	}
	var f frame
	var quant [4][64]int32
	var huff [2][2]huffDecoder
	sof := false
	p := 2
	for {
		// A segment: FF, marker, 16-bit length (which counts itself).
		if p+4 > len(data) || data[p] != 0xff {
			return nil
		}
		m := data[p+1]
		l := int(binary.BigEndian.Uint16(data[p+2:]))
		if l < 2 || p+2+l > len(data) {
			return nil
		}
		seg := data[p+4 : p+2+l]
		p += 2 + l
		switch {
		case m == 0xdb: // DQT
			for len(seg) > 0 {
				pq, tq := seg[0]>>4, seg[0]&15
				if pq != 0 || tq > 3 || len(seg) < 65 {
					return nil
				}
				for k := range 64 {
					quant[tq][k] = int32(seg[1+k])
				}
				f.quant[tq] = &quant[tq]
				seg = seg[65:]
			}
		case m == 0xc4: // DHT
			for len(seg) > 0 {
				if len(seg) < 17 {
					return nil
				}
				tc, th := seg[0]>>4, seg[0]&15
				n := 0
				for _, c := range seg[1:17] {
					n += int(c)
				}
				if tc > 1 || th > 1 || n == 0 || n > 256 || len(seg) < 17+n {
					return nil
				}
				if !huff[tc][th].build(seg[1:17], seg[17:17+n]) {
					return nil
				}
				f.huff[tc][th] = &huff[tc][th]
				seg = seg[17+n:]
			}
		case m == 0xc0 || m == 0xc1: // SOF0, SOF1
			if sof || !f.parseSOF(seg) {
				return nil
			}
			sof = true
		case m == 0xda: // SOS
			if !sof {
				return nil
			}
			return f.scan(seg, data[p:])
		case m >= 0xe0 && m <= 0xef && m != 0xee, m == 0xfe: // APPn but Adobe's APP14, COM
		default: // DRI, other SOFs, DNL, anything unusual
			return nil
		}
	}
}

// parseSOF reads a frame header, accepting one component or three in
// 4:2:0 with distinct identifiers not tagged R, G, B.
func (f *frame) parseSOF(s []byte) bool {
	if len(s) < 6 || s[0] != 8 {
		return false
	}
	f.h, f.w = int(s[1])<<8|int(s[2]), int(s[3])<<8|int(s[4])
	f.ncomp = int(s[5])
	if f.w == 0 || f.h == 0 || (f.ncomp != 1 && f.ncomp != 3) || len(s) != 6+3*f.ncomp {
		return false
	}
	for i := range f.ncomp {
		c := s[6+3*i:]
		f.ids[i], f.tq[i] = c[0], c[2]
		hv := c[1]
		if f.tq[i] > 3 {
			return false
		}
		if f.ncomp == 1 {
			// image/jpeg takes any valid factors of a lone component as 1×1.
			if h, v := hv>>4, hv&15; h < 1 || h > 4 || v < 1 || v > 4 || h == 3 || v == 3 {
				return false
			}
		} else if hv != "\x22\x11\x11"[i] {
			return false
		}
		for j := range i {
			if f.ids[j] == f.ids[i] {
				return false
			}
		}
	}
	return f.ncomp == 1 || f.ids != [3]uint8{'R', 'G', 'B'}
}

// scan decodes the scan whose header is s and whose entropy-coded data
// starts rest, and checks that the file then ends (EOI) as image/jpeg
// would read it.
func (f *frame) scan(s, rest []byte) image.Image {
	if len(s) != 4+2*f.ncomp || int(s[0]) != f.ncomp {
		return nil
	}
	var dc, ac [3]*huffDecoder
	var q [3]*[64]int32
	for i := range f.ncomp {
		if s[1+2*i] != f.ids[i] {
			return nil
		}
		td, ta := s[2+2*i]>>4, s[2+2*i]&15
		if td > 1 || ta > 1 || f.huff[0][td] == nil || f.huff[1][ta] == nil || f.quant[f.tq[i]] == nil {
			return nil
		}
		dc[i], ac[i], q[i] = f.huff[0][td], f.huff[1][ta], f.quant[f.tq[i]]
	}
	// Every block codes to at least 2 bits (a DC code and an end of
	// block), so a scan too short for its blocks is damaged: leave it to
	// image/jpeg without allocating the frame here too.
	if nblocks := int64((f.w+15)/16) * int64((f.h+15)/16) * int64(2*f.ncomp); nblocks > 4*int64(len(rest))+64 {
		return nil
	}
	d := &blockDecoder{br: bitReader{data: rest}}
	var img image.Image
	if f.ncomp == 1 {
		mxx, myy := (f.w+7)/8, (f.h+7)/8
		m := image.NewGray(image.Rect(0, 0, 8*mxx, 8*myy))
		for by := range myy {
			for bx := range mxx {
				if !d.block(dc[0], ac[0], q[0], 0, m.Pix[8*(by*m.Stride+bx):], m.Stride) {
					return nil
				}
			}
		}
		img = m.SubImage(image.Rect(0, 0, f.w, f.h))
	} else {
		mxx, myy := (f.w+15)/16, (f.h+15)/16
		m := image.NewYCbCr(image.Rect(0, 0, 16*mxx, 16*myy), image.YCbCrSubsampleRatio420)
		ys, cs := m.YStride, m.CStride
		for my := range myy {
			for mx := range mxx {
				for j := range 4 {
					bx, by := 2*mx+(j&1), 2*my+(j>>1)
					if !d.block(dc[0], ac[0], q[0], 0, m.Y[8*(by*ys+bx):], ys) {
						return nil
					}
				}
				if !d.block(dc[1], ac[1], q[1], 1, m.Cb[8*(my*cs+mx):], cs) ||
					!d.block(dc[2], ac[2], q[2], 2, m.Cr[8*(my*cs+mx):], cs) {
					return nil
				}
			}
		}
		img = m.SubImage(image.Rect(0, 0, f.w, f.h))
	}
	if !d.br.ends() {
		return nil
	}
	return img
}

// blockDecoder decodes the blocks of a scan.
type blockDecoder struct {
	br  bitReader
	dc  [3]int32
	blk [64]int32
}

// block decodes one block of component c (T.81 F.2.2), dequantises it,
// transforms it back and stores its 8×8 samples at dst (rows stride
// apart). It returns false where image/jpeg would fail or do something
// unusual (a DC category over 16, an end-of-band run, a run past the
// block's end).
func (d *blockDecoder) block(dcT, acT *huffDecoder, q *[64]int32, c int, dst []byte, stride int) bool {
	br := &d.br
	s, ok := dcT.decode(br)
	if !ok || s > 16 {
		return false
	}
	d.dc[c] += br.extend(uint(s))
	d.blk = [64]int32{}
	d.blk[0] = d.dc[c] * q[0]
	hasAC := false
	for k := 1; k <= 63; k++ {
		// A code (≤ 16 bits) and its magnitude (≤ 15) fit in 32 bits.
		if br.n < 32 {
			br.fill()
		}
		var rs uint8
		if v := acT.lut[br.acc>>(64-lutBits)]; v != 0 {
			l := uint(v & 0xff)
			br.acc <<= l
			br.n -= l
			rs = uint8(v >> 8)
		} else if rs, ok = acT.long(br); !ok {
			return false
		}
		r, s := int(rs>>4), uint(rs&15)
		if s == 0 {
			if r != 15 {
				if r != 0 {
					return false
				}
				break
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return false
		}
		v := int32(br.acc >> (64 - s))
		br.acc <<= s
		br.n -= s
		if v < 1<<(s-1) {
			v += -1<<s + 1
		}
		d.blk[zigzag[k]&63] = v * q[k]
		hasAC = true
	}
	if br.fake > br.n {
		return false // bits past the scan's data were used
	}
	if !hasAC {
		// A DC-only block is flat: the transform of (dc, 0, …) is the
		// same value everywhere (row pass gives dc<<17 in row 0, the
		// column pass ((that + 1<<19)>>2)>>18).
		v := clamp(((d.blk[0]<<17 + 1<<19) >> 2) >> 18)
		var row [8]byte
		for i := range row {
			row[i] = v
		}
		for y := range 8 {
			copy(dst[y*stride:y*stride+8], row[:])
		}
		return true
	}
	idct(&d.blk)
	for y := range 8 {
		out := (*[8]byte)(dst[y*stride : y*stride+8])
		in := (*[8]int32)(d.blk[8*y : 8*y+8])
		for x := range 8 {
			out[x] = clamp(in[x])
		}
	}
	return true
}

// clamp level-shifts an inverse-transform output to a sample.
func clamp(v int32) byte {
	if v < -128 {
		return 0
	}
	if v > 127 {
		return 255
	}
	return byte(v + 128)
}

// bitReader reads entropy-coded data (T.81 F.2.2.5): bytes into a 64-bit
// accumulator, first bit highest, a stuffed 0x00 after 0xFF dropped. At a
// marker or the end of the data it feeds zero bytes and counts them in
// fake. The feed sits below every data bit and only grows with n, so once
// a decode has used feed bits, fake > n holds from then on.
type bitReader struct {
	data []byte
	pos  int
	acc  uint64
	n    uint // bits in acc, from the top
	fake uint // how many of the last bits of acc are feed, not data
}

// fill tops the accumulator up to at least 57 bits.
func (b *bitReader) fill() {
	for b.n <= 56 {
		var c byte
		switch {
		case b.fake > 0 || b.pos >= len(b.data):
			b.fake += 8
		case b.data[b.pos] != 0xff:
			c = b.data[b.pos]
			b.pos++
		case b.pos+1 < len(b.data) && b.data[b.pos+1] == 0:
			c = 0xff
			b.pos += 2
		default: // a marker (or a lone 0xFF at the end): the data ends here
			b.fake += 8
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// bits takes the next n (≤ 16) bits.
func (b *bitReader) bits(n uint) uint32 {
	if b.n < n {
		b.fill()
	}
	v := uint32(b.acc >> (64 - n))
	b.acc <<= n
	b.n -= n
	return v
}

// extend reads an s-bit magnitude and returns the value it codes (T.81
// F.2.2.1, EXTEND): 0 for s = 0.
func (b *bitReader) extend(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := int32(b.bits(s))
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// ends reports whether what follows the scan's data takes image/jpeg's
// marker loop straight to an EOI: it steps over bytes until an 0xFF,
// takes the next byte as the marker, skips a 0x00 marker (a stuffed
// byte), reads past 0xFF fill bytes, ignores RST markers and stops at
// EOI. Any other marker (another table, a second scan, a bad one) or no
// EOI at all makes it false.
func (b *bitReader) ends() bool {
	d, p := b.data, b.pos
	for {
		if p+2 > len(d) {
			return false
		}
		t0, t1 := d[p], d[p+1]
		p += 2
		for t0 != 0xff {
			if p >= len(d) {
				return false
			}
			t0, t1 = t1, d[p]
			p++
		}
		m := t1
		if m == 0 {
			continue
		}
		for m == 0xff {
			if p >= len(d) {
				return false
			}
			m = d[p]
			p++
		}
		switch {
		case m == 0xd9:
			return true
		case m >= 0xd0 && m <= 0xd7:
		default:
			return false
		}
	}
}

// huffDecoder decodes one Huffman table (T.81 F.2.2.3, canonical codes).
type huffDecoder struct {
	// lut maps the next lutBits bits to symbol<<8 | code length for codes
	// that short; 0 means a longer code.
	lut [1 << lutBits]uint16
	// maxCode[l] is the largest code of length l (−1: none), valPtr[l]
	// the index in vals of the first code of length l minus that code.
	maxCode [17]int32
	valPtr  [17]int32
	vals    [256]uint8
}

const lutBits = 9

// build sets up the table from a DHT's 16 counts and the symbols; false
// if the counts over-subscribe the code space (no prefix code has them).
func (h *huffDecoder) build(counts, symbols []byte) bool {
	*h = huffDecoder{}
	copy(h.vals[:], symbols)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		h.maxCode[l] = -1
		if code+n > 1<<l {
			return false
		}
		if n > 0 {
			h.valPtr[l] = k - code
			for range n {
				if l <= lutBits {
					first := code << (lutBits - l)
					for i := range int32(1) << (lutBits - l) {
						h.lut[first+i] = uint16(h.vals[k])<<8 | uint16(l)
					}
				}
				code++
				k++
			}
			h.maxCode[l] = code - 1
		}
		code <<= 1
	}
	return true
}

// decode reads one symbol; false for a bit pattern no code has.
func (h *huffDecoder) decode(b *bitReader) (uint8, bool) {
	if b.n < 16 {
		b.fill()
	}
	if v := h.lut[b.acc>>(64-lutBits)]; v != 0 {
		l := uint(v & 0xff)
		b.acc <<= l
		b.n -= l
		return uint8(v >> 8), true
	}
	return h.long(b)
}

// long reads a symbol whose code is longer than lutBits (b holds at least
// 16 bits); false for a bit pattern no code has.
func (h *huffDecoder) long(b *bitReader) (uint8, bool) {
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(b.acc >> (64 - l))
		if code <= h.maxCode[l] {
			b.acc <<= uint(l)
			b.n -= uint(l)
			return h.vals[(h.valPtr[l]+code)&255], true
		}
	}
	return 0, false
}

package jpegcodec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/bits"
)

// ErrTooLarge is the error for an image 65536 or more pixels wide or high
// (a baseline frame header holds 16-bit dimensions).
var ErrTooLarge = errors.New("jpegcodec: image is too large to encode")

// Quality bounds: Append clamps its quality to [MinQuality, MaxQuality],
// as image/jpeg does.
const (
	MinQuality = 1
	MaxQuality = 100
)

// Encode writes img to w as a baseline JPEG at quality (1..100, clamped),
// the same bytes image/jpeg.Encode writes with jpeg.Options{Quality:
// quality}.
func Encode(w io.Writer, img image.Image, quality int) error {
	b, err := Append(nil, img, quality)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Append appends the baseline JPEG encoding of img at quality (1..100,
// clamped) to dst and returns the extended slice: the same bytes
// image/jpeg.Encode writes with jpeg.Options{Quality: quality}. Gray,
// RGBA and YCbCr images are encoded here, others by image/jpeg. An image
// 65536 or more pixels wide or high gives ErrTooLarge.
func Append(dst []byte, img image.Image, quality int) ([]byte, error) {
	r := img.Bounds()
	if r.Dx() >= 1<<16 || r.Dy() >= 1<<16 {
		return dst, ErrTooLarge
	}
	quality = min(max(quality, MinQuality), MaxQuality)
	var e encoder
	switch m := img.(type) {
	case *image.Gray:
		e.start(dst, quality, r, 1)
		e.gray(m)
	case *image.YCbCr:
		e.start(dst, quality, r, 3)
		if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && r.Min.X&1 == 0 && r.Min.Y&1 == 0 {
			e.ycbcr420(m)
		} else {
			e.full(r, func(x, y int) (uint8, uint8, uint8) {
				c := m.COffset(x, y)
				return m.Y[m.YOffset(x, y)], m.Cb[c], m.Cr[c]
			})
		}
	case *image.RGBA:
		e.start(dst, quality, r, 3)
		e.full(r, func(x, y int) (uint8, uint8, uint8) {
			p := m.Pix[m.PixOffset(x, y):]
			return color.RGBToYCbCr(p[0], p[1], p[2])
		})
	default:
		buf := bytes.NewBuffer(dst)
		if err := jpeg.Encode(buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return dst, err
		}
		return buf.Bytes(), nil
	}
	e.finish()
	return e.out, nil
}

// encoder is the state of one encoding: the output, the bit accumulator
// and the quantisation tables of the chosen quality.
type encoder struct {
	out []byte
	// acc holds nacc (< 32 between calls) pending bits in its low bits,
	// first bit highest.
	acc  uint64
	nacc uint
	// recip and half quantise component class t's zig-zag coefficient k:
	// |c|/(8Q) rounded half up is ((|c| + half)·recip) >> 32.
	recip [2][64]uint64
	half  [2][64]uint32
	// prev are the last DC values of Y, Cb and Cr (DC is coded as a
	// difference).
	prev [3]int32
	blk  [64]int32
	zz   [64]int32
}

// start writes the headers (SOI, DQT, SOF0, DHT, SOS) for a frame of
// size r with n components (1: gray, 3: YCbCr 4:2:0) and sets up the
// quantisation.
func (e *encoder) start(dst []byte, quality int, r image.Rectangle, n int) {
	// T.81 Annex K.1 tables scaled as the IJG convention image/jpeg
	// follows: s = 5000/q below 50, 200-2q from 50, entries (v·s+50)/100.
	s := 200 - 2*quality
	if quality < 50 {
		s = 5000 / quality
	}
	var zq [2][64]uint8
	for t := range 2 {
		for k := range 64 {
			q := min(max((int(annexK[t][zigzag[k]])*s+50)/100, 1), 255)
			zq[t][k] = uint8(q)
			d := uint64(8 * q)
			e.recip[t][k] = (1<<32 + d - 1) / d
			e.half[t][k] = uint32(4 * q)
		}
	}
	e.out = append(dst, 0xff, 0xd8)
	// DQT: both tables, 8-bit precision.
	e.out = append(e.out, 0xff, 0xdb, 0, 2+2*65)
	for t := range 2 {
		e.out = append(e.out, uint8(t))
		e.out = append(e.out, zq[t][:]...)
	}
	// SOF0.
	w, h := r.Dx(), r.Dy()
	e.out = append(e.out, 0xff, 0xc0, 0, uint8(8+3*n), 8, uint8(h>>8), uint8(h), uint8(w>>8), uint8(w), uint8(n))
	if n == 1 {
		e.out = append(e.out, 1, 0x11, 0)
	} else {
		e.out = append(e.out, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	}
	// DHT: the Annex K tables (only the luminance ones for gray).
	specs := annexKHuff[:]
	if n == 1 {
		specs = specs[:2]
	}
	l := 2
	for i := range specs {
		l += 17 + len(specs[i].symbols)
	}
	e.out = append(e.out, 0xff, 0xc4, uint8(l>>8), uint8(l))
	for i := range specs {
		e.out = append(e.out, "\x00\x10\x01\x11"[i])
		e.out = append(e.out, specs[i].counts[:]...)
		e.out = append(e.out, specs[i].symbols...)
	}
	// SOS: full spectral range, no successive approximation.
	if n == 1 {
		e.out = append(e.out, 0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0)
	} else {
		e.out = append(e.out, 0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	}
}

// finish pads the entropy-coded data to a byte with 1 bits and writes EOI.
func (e *encoder) finish() {
	e.out = append(e.out, make([]byte, 16)...)[:len(e.out)]
	if r := e.nacc % 8; r != 0 {
		e.emit(1<<(8-r)-1, 8-r)
	}
	for e.nacc > 0 {
		e.nacc -= 8
		b := uint8(e.acc >> e.nacc)
		e.out = append(e.out, b)
		if b == 0xff {
			e.out = append(e.out, 0)
		}
	}
	e.out = append(e.out, 0xff, 0xd9)
}

// emit appends the n (≤ 32) low bits of v, which must have no higher bit
// set, to the entropy-coded data; whole 32-bit words go out with a 0x00
// stuffed after each 0xFF byte (T.81 B.1.1.5).
func (e *encoder) emit(v uint32, n uint) {
	e.acc = e.acc<<n | uint64(v)
	e.nacc += n
	if e.nacc >= 32 {
		e.word()
	}
}

// word writes the oldest 32 of the pending bits. The caller has made room
// for 8 bytes (block reserves a block's worst case).
func (e *encoder) word() {
	e.nacc -= 32
	w := uint32(e.acc >> e.nacc)
	n := len(e.out)
	// A byte of w is 0xFF exactly when that byte of ^w is zero.
	if x := ^w; (x-0x01010101)&^x&0x80808080 == 0 {
		e.out = e.out[:n+4]
		binary.BigEndian.PutUint32(e.out[n:], w)
		return
	}
	for s := 24; s >= 0; s -= 8 {
		b := uint8(w >> s)
		e.out = append(e.out, b)
		if b == 0xff {
			e.out = append(e.out, 0)
		}
	}
}

// block codes e.blk (samples in natural order) as a block of component c
// (0 Y, 1 Cb, 2 Cr): DCT, quantisation, DC difference and AC run-lengths
// with the Annex K Huffman codes (T.81 F.1.2).
func (e *encoder) block(c int) {
	// A block codes to at most 64 codes of 16+11 bits, twice that with
	// stuffing: 432 bytes.
	if cap(e.out)-len(e.out) < 512 {
		e.out = append(e.out, make([]byte, 512)...)[:len(e.out)]
	}
	fdct(&e.blk)
	t := min(c, 1)
	recip, half := &e.recip[t], &e.half[t]
	// zz holds the quantised coefficients in zig-zag order, nz which of
	// them are non-zero (only those are read: zz needs no clearing).
	zz := &e.zz
	var nz uint64
	// Eight coefficients at a time, their non-zero flags combined as a
	// tree so that no long dependency chain runs through nz.
	for g := 0; g < 64; g += 8 {
		f0 := quantise(zz, &e.blk, recip, half, g)
		f1 := quantise(zz, &e.blk, recip, half, g+1)
		f2 := quantise(zz, &e.blk, recip, half, g+2)
		f3 := quantise(zz, &e.blk, recip, half, g+3)
		f4 := quantise(zz, &e.blk, recip, half, g+4)
		f5 := quantise(zz, &e.blk, recip, half, g+5)
		f6 := quantise(zz, &e.blk, recip, half, g+6)
		f7 := quantise(zz, &e.blk, recip, half, g+7)
		nz |= ((f0 | f1<<1) | (f2<<2 | f3<<3) | (f4<<4 | f5<<5) | (f6<<6 | f7<<7)) << g
	}
	// DC.
	dcCodes, acCodes := codes[2*t], codes[2*t+1]
	d := zz[0] - e.prev[c]
	e.prev[c] = zz[0]
	e.emitValue(dcCodes, 0, d)
	// AC: nz's bits past 0 are the non-zero coefficients.
	nz &^= 1
	last := 0
	for nz != 0 {
		k := bits.TrailingZeros64(nz) & 63
		nz &= nz - 1
		run := k - last - 1
		for ; run > 15; run -= 16 {
			x := acCodes[0xf0]
			e.emit(x&0xffff, uint(x>>24))
		}
		e.emitValue(acCodes, run, zz[k])
		last = k
	}
	if last != 63 {
		x := acCodes[0x00]
		e.emit(x&0xffff, uint(x>>24))
	}
}

// quantise sets zz[k] to coefficient k (zig-zag order) of blk divided by
// its 8·Q, rounded half away from zero, and returns 1 if that is not 0.
func quantise(zz, blk *[64]int32, recip *[64]uint64, half *[64]uint32, k int) uint64 {
	k &= 63
	v := blk[zigzag[k]&63]
	sign := v >> 31
	a := uint32((v ^ sign) - sign)
	q := int32((uint64(a+half[k]) * recip[k]) >> 32)
	zz[k] = (q ^ sign) - sign
	return uint64(uint32(q|-q) >> 31)
}

// emitValue emits the code of symbol run<<4|size(v) followed by v's size
// magnitude bits (negative v as v−1, T.81 F.1.2.1.1), in one go.
func (e *encoder) emitValue(t *huffCodes, run int, v int32) {
	a, b := v, v
	if v < 0 {
		a, b = -v, v-1
	}
	size := uint(bits.Len32(uint32(a)))
	x := t[uint8(run<<4)|uint8(size)]
	e.emit((x&0xffff)<<size|uint32(b)&(1<<size-1), uint(x>>24)+size)
}

// gray codes a gray image as 8×8 luminance blocks.
func (e *encoder) gray(m *image.Gray) {
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	base := m.PixOffset(r.Min.X, r.Min.Y)
	for y := 0; y < h; y += 8 {
		for x := 0; x < w; x += 8 {
			load(&e.blk, m.Pix, base, m.Stride, x, y, w, h)
			e.block(0)
		}
	}
}

// ycbcr420 codes a 4:2:0 image whose origin is even: its chroma samples
// are the macroblocks' chroma blocks as they are (the mean of a 2×2 group
// of equal full-resolution samples is that sample).
func (e *encoder) ycbcr420(m *image.YCbCr) {
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	yb, cb := m.YOffset(r.Min.X, r.Min.Y), m.COffset(r.Min.X, r.Min.Y)
	for y := 0; y < h; y += 16 {
		for x := 0; x < w; x += 16 {
			for i := range 4 {
				load(&e.blk, m.Y, yb, m.YStride, x+(i&1)*8, y+(i>>1)*8, w, h)
				e.block(0)
			}
			load(&e.blk, m.Cb, cb, m.CStride, x/2, y/2, cw, ch)
			e.block(1)
			load(&e.blk, m.Cr, cb, m.CStride, x/2, y/2, cw, ch)
			e.block(2)
		}
	}
}

// load copies the 8×8 samples at (x, y) of a w×h plane (first sample at
// base, rows stride apart) into blk, repeating the last column and row
// past the edges.
func load(blk *[64]int32, p []byte, base, stride, x, y, w, h int) {
	if x+8 <= w && y+8 <= h {
		o := base + y*stride + x
		for j := 0; j < 64; j += 8 {
			s := (*[8]byte)(p[o : o+8])
			d := (*[8]int32)(blk[j : j+8])
			d[0], d[1], d[2], d[3] = int32(s[0]), int32(s[1]), int32(s[2]), int32(s[3])
			d[4], d[5], d[6], d[7] = int32(s[4]), int32(s[5]), int32(s[6]), int32(s[7])
			o += stride
		}
		return
	}
	for j := range 8 {
		o := base + min(y+j, h-1)*stride
		for i := range 8 {
			blk[8*j+i] = int32(p[o+min(x+i, w-1)])
		}
	}
}

// full codes a three-component image given per pixel (at absolute
// coordinates) as Y, Cb, Cr: each 16×16 macroblock's samples are read
// with edge repetition, the luminance coded as four blocks, each chroma
// averaged over 2×2 groups.
func (e *encoder) full(r image.Rectangle, at func(x, y int) (uint8, uint8, uint8)) {
	var ys, cbs, crs [16 * 16]int32
	for y := r.Min.Y; y < r.Max.Y; y += 16 {
		for x := r.Min.X; x < r.Max.X; x += 16 {
			for j := range 16 {
				sy := min(y+j, r.Max.Y-1)
				for i := range 16 {
					yy, cb, cr := at(min(x+i, r.Max.X-1), sy)
					ys[16*j+i], cbs[16*j+i], crs[16*j+i] = int32(yy), int32(cb), int32(cr)
				}
			}
			for i := range 4 {
				o := (i>>1)*8*16 + (i&1)*8
				for j := range 8 {
					copy(e.blk[8*j:8*j+8], ys[o+16*j:o+16*j+8])
				}
				e.block(0)
			}
			subsample(&e.blk, &cbs)
			e.block(1)
			subsample(&e.blk, &crs)
			e.block(2)
		}
	}
}

// subsample sets blk to the rounded means of the 2×2 groups of s.
func subsample(blk *[64]int32, s *[16 * 16]int32) {
	for j := range 8 {
		for i := range 8 {
			o := 32*j + 2*i
			blk[8*j+i] = (s[o] + s[o+1] + s[o+16] + s[o+17] + 2) >> 2
		}
	}
}

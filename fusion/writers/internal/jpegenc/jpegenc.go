// Copyright 2011 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package jpegenc encodes the images the writers re-encode (undistorted
// camera images) as JPEG, byte for byte as the standard library's
// image/jpeg.Encode does, faster for the one kind of image they have: a
// 4:2:0 *image.YCbCr (a decoded camera JPEG, remapped plane by plane; its
// origin even). It is image/jpeg's encoder (Go 1.26, BSD licence: LICENSE
// beside this file) with these changes, none of which changes a bit of
// the output:
//
//   - 8×8 blocks are read straight from the Y, Cb and Cr planes: the
//     standard encoder expands chroma to one sample per pixel and averages
//     each 2×2 back, which gives the same value when the input is 4:2:0;
//   - a coefficient that quantises to 0 (most of them) is told by one
//     comparison, the others divide by multiplying with a reciprocal
//     (exact for every DCT output: TestDivExact);
//   - the bit stream gathers in a 64-bit accumulator and is appended to a
//     byte slice 4 bytes at a time, instead of written byte by byte
//     through a bufio.Writer.
//
// Every other image goes to image/jpeg.Encode. TestMatchesStdlib checks
// that Encode's bytes are image/jpeg's, on this Go version.
package jpegenc

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"io"
)

// fast reports whether m is a 4:2:0 image whose origin is even and not
// negative, whose chroma samples therefore each cover a 2×2 group of
// pixels.
func fast(m *image.YCbCr) bool {
	p := m.Rect.Min
	return m.SubsampleRatio == image.YCbCrSubsampleRatio420 && p.X >= 0 && p.Y >= 0 && p.X%2 == 0 && p.Y%2 == 0
}

// Encode writes m to w as a baseline 4:2:0 JPEG of quality (1..100, as
// image/jpeg.Options), the bytes image/jpeg.Encode writes.
func Encode(w io.Writer, m image.Image, quality int) error {
	ycc, ok := m.(*image.YCbCr)
	if !ok || !fast(ycc) {
		return jpeg.Encode(w, m, &jpeg.Options{Quality: quality})
	}
	out, err := Append(nil, ycc, quality)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// Bytes returns m as a baseline 4:2:0 JPEG of quality, the bytes
// image/jpeg.Encode writes.
func Bytes(m image.Image, quality int) ([]byte, error) {
	if ycc, ok := m.(*image.YCbCr); ok && fast(ycc) {
		// Camera pictures at quality ~90 take well under half a byte
		// per pixel; a busier one grows the slice once or twice.
		return Append(make([]byte, 0, 4096+ycc.Rect.Dx()*ycc.Rect.Dy()/3), ycc, quality)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Append appends the JPEG of the 4:2:0 image m (quality 1..100; origin
// even and not negative, as a decoded or new image's is) to dst.
func Append(dst []byte, m *image.YCbCr, quality int) ([]byte, error) {
	b := m.Bounds()
	if b.Dx() >= 1<<16 || b.Dy() >= 1<<16 {
		return dst, errors.New("jpeg: image is too large to encode")
	}
	if !fast(m) {
		return dst, errors.New("jpegenc: Append takes 4:2:0 images at an even origin only")
	}
	if b.Empty() {
		return dst, errors.New("jpegenc: empty image")
	}
	e := encoder{out: dst}
	e.setQuality(quality)
	e.out = append(e.out, 0xff, 0xd8) // Start Of Image.
	e.writeDQT()
	e.writeSOF0(b.Size(), 3)
	e.writeDHT(3)
	e.writeSOS(m)
	e.out = append(e.out, 0xff, 0xd9) // End Of Image.
	return e.out, nil
}

// encoder is image/jpeg's encoder writing into out.
type encoder struct {
	out []byte
	// acc holds nBits accumulated bits to write to out, left-aligned.
	acc   uint64
	nBits uint32
	// quant is the scaled quantization tables, in zig-zag order.
	quant [nQuantIndex][blockSize]byte
	// recip[q][zig] is recipOf(8 * quant[q][zig]).
	recip [nQuantIndex][blockSize]uint64
	// zero[q][zig] is 2·(d − d/2) − 1 for d = 8·quant[q][zig]: a
	// coefficient a quantises to 0 exactly when uint32(a + d − d/2 − 1) <
	// zero (|a| < d − d/2), most of a block's AC coefficients.
	zero [nQuantIndex][blockSize]uint32
}

// setQuality scales the quantization tables as image/jpeg.Encode does.
func (e *encoder) setQuality(quality int) {
	quality = min(max(quality, 1), 100)
	var scale int
	if quality < 50 {
		scale = 5000 / quality
	} else {
		scale = 200 - quality*2
	}
	for i := range e.quant {
		for j := range e.quant[i] {
			x := int(unscaledQuant[i][j])
			x = (x*scale + 50) / 100
			x = min(max(x, 1), 255)
			e.quant[i][j] = uint8(x)
			d := 8 * uint32(x)
			e.recip[i][j] = recipOf(d)
			e.zero[i][j] = 2*(d-d>>1) - 1
		}
	}
}

// recipShift is the shift of the reciprocals: (n·recipOf(d)) >> recipShift
// is n/d for every n < 2^22 and 8 ≤ d ≤ 2040 (n·r < 2^64; the error
// n·(r − 2^44/d)/2^44 < n/2^44 stays below 1/d; TestDivExact checks
// n < 2^20, beyond the DCT's output range).
const recipShift = 44

// recipOf is ⌈2^recipShift / d⌉.
func recipOf(d uint32) uint64 {
	return (1<<recipShift + uint64(d) - 1) / uint64(d)
}

// div is image/jpeg's div(a, d), a/d rounded to the nearest integer
// (halves away from zero), with the reciprocal r = recipOf(d).
func div(a int32, d uint32, r uint64) int32 {
	if a >= 0 {
		return int32((uint64(uint32(a)+d>>1) * r) >> recipShift)
	}
	return -int32((uint64(uint32(-a)+d>>1) * r) >> recipShift)
}

// emit emits the least significant nBits bits of bits to the bit-stream.
// The precondition is bits < 1<<nBits && nBits <= 16. Bits gather in a
// 64-bit accumulator (left-aligned) and leave it 32 at a time; the bytes
// are image/jpeg's, 0xff followed by a stuffed 0x00.
func (e *encoder) emit(bits, nBits uint32) {
	e.acc |= uint64(bits) << (64 - e.nBits - nBits)
	e.nBits += nBits
	if e.nBits < 32 {
		return
	}
	w := uint32(e.acc >> 32)
	if v := ^w; (v-0x01010101)&^v&0x80808080 == 0 { // no 0xff byte in w
		e.out = append(e.out, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
	} else {
		for _, b := range [4]byte{byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w)} {
			e.out = append(e.out, b)
			if b == 0xff {
				e.out = append(e.out, 0x00)
			}
		}
	}
	e.acc <<= 32
	e.nBits -= 32
}

// flushBytes writes the accumulator's whole bytes; fewer than 8 bits stay
// unwritten, as in image/jpeg (the scan ends with 7 padding 1s).
func (e *encoder) flushBytes() {
	for e.nBits >= 8 {
		b := byte(e.acc >> 56)
		e.out = append(e.out, b)
		if b == 0xff {
			e.out = append(e.out, 0x00)
		}
		e.acc <<= 8
		e.nBits -= 8
	}
}

// emitHuff emits the given value with the given Huffman encoder.
func (e *encoder) emitHuff(h huffIndex, value int32) {
	x := theHuffmanLUT[h][value]
	e.emit(x&(1<<24-1), x>>24)
}

// emitHuffRLE emits a run of runLength copies of value encoded with the given
// Huffman encoder.
func (e *encoder) emitHuffRLE(h huffIndex, runLength, value int32) {
	a, b := value, value
	if a < 0 {
		a, b = -value, value-1
	}
	var nBits uint32
	if a < 0x100 {
		nBits = uint32(bitCount[a])
	} else {
		nBits = 8 + uint32(bitCount[a>>8])
	}
	e.emitHuff(h, runLength<<4|int32(nBits))
	if nBits > 0 {
		e.emit(uint32(b)&(1<<nBits-1), nBits)
	}
}

// writeMarkerHeader writes the header for a marker with the given length.
func (e *encoder) writeMarkerHeader(marker uint8, markerlen int) {
	e.out = append(e.out, 0xff, marker, uint8(markerlen>>8), uint8(markerlen&0xff))
}

// writeDQT writes the Define Quantization Table marker.
func (e *encoder) writeDQT() {
	const markerlen = 2 + int(nQuantIndex)*(1+blockSize)
	e.writeMarkerHeader(dqtMarker, markerlen)
	for i := range e.quant {
		e.out = append(e.out, uint8(i))
		e.out = append(e.out, e.quant[i][:]...)
	}
}

// writeSOF0 writes the Start Of Frame (Baseline Sequential) marker.
func (e *encoder) writeSOF0(size image.Point, nComponent int) {
	markerlen := 8 + 3*nComponent
	e.writeMarkerHeader(sof0Marker, markerlen)
	var buf [16]byte
	buf[0] = 8 // 8-bit color.
	buf[1] = uint8(size.Y >> 8)
	buf[2] = uint8(size.Y & 0xff)
	buf[3] = uint8(size.X >> 8)
	buf[4] = uint8(size.X & 0xff)
	buf[5] = uint8(nComponent)
	for i := 0; i < nComponent; i++ {
		buf[3*i+6] = uint8(i + 1)
		// We use 4:2:0 chroma subsampling.
		buf[3*i+7] = "\x22\x11\x11"[i]
		buf[3*i+8] = "\x00\x01\x01"[i]
	}
	e.out = append(e.out, buf[:3*(nComponent-1)+9]...)
}

// writeDHT writes the Define Huffman Table marker.
func (e *encoder) writeDHT(nComponent int) {
	markerlen := 2
	specs := theHuffmanSpec[:]
	if nComponent == 1 {
		// Drop the Chrominance tables.
		specs = specs[:2]
	}
	for _, s := range specs {
		markerlen += 1 + 16 + len(s.value)
	}
	e.writeMarkerHeader(dhtMarker, markerlen)
	for i, s := range specs {
		e.out = append(e.out, "\x00\x10\x01\x11"[i])
		e.out = append(e.out, s.count[:]...)
		e.out = append(e.out, s.value...)
	}
}

// writeBlock writes a block of pixel data using the given quantization table,
// returning the post-quantized DC value of the DCT-transformed block. b is in
// natural (not zig-zag) order.
func (e *encoder) writeBlock(b *block, q quantIndex, prevDC int32) int32 {
	fdct(b)
	quant, recip, zero := &e.quant[q], &e.recip[q], &e.zero[q]
	// Emit the DC delta.
	dc := div(b[0], 8*uint32(quant[0]), recip[0])
	e.emitHuffRLE(huffIndex(2*q+0), 0, dc-prevDC)
	// Emit the AC components.
	h, runLength := huffIndex(2*q+1), int32(0)
	for zig := 1; zig < blockSize; zig++ {
		a, z := b[unzig[zig]], zero[zig]
		if uint32(a)+z>>1 < z {
			runLength++
			continue
		}
		if ac := div(a, 8*uint32(quant[zig]), recip[zig]); ac == 0 {
			runLength++
		} else {
			for runLength > 15 {
				e.emitHuff(h, 0xf0)
				runLength -= 16
			}
			e.emitHuffRLE(h, runLength, ac)
			runLength = 0
		}
	}
	if runLength > 0 {
		e.emitHuff(h, 0x00)
	}
	return dc
}

// planeBlock copies the 8×8 region of a plane (rows of stride bytes,
// pixels [0, xmax]×[0, ymax]) whose top-left corner is (x, y) into blk,
// repeating the last column and row past the edge, as image/jpeg does.
func planeBlock(blk *block, pix []byte, stride, x, y, xmax, ymax int) {
	if x+7 <= xmax && y+7 <= ymax {
		for j := 0; j < 8; j++ {
			row := pix[(y+j)*stride+x : (y+j)*stride+x+8]
			for i, v := range row {
				blk[8*j+i] = int32(v)
			}
		}
		return
	}
	for j := 0; j < 8; j++ {
		row := pix[min(y+j, ymax)*stride:]
		for i := 0; i < 8; i++ {
			blk[8*j+i] = int32(row[min(x+i, xmax)])
		}
	}
}

// sosHeaderYCbCr is image/jpeg's SOS marker of a 3-component scan.
var sosHeaderYCbCr = []byte{
	0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02,
	0x11, 0x03, 0x11, 0x00, 0x3f, 0x00,
}

// writeSOS writes the StartOfScan marker and the scan of a 4:2:0 image:
// per 16×16 macroblock four luma blocks, then one Cb and one Cr block.
// The standard encoder's chroma block is the rounded mean of each 2×2
// group of per-pixel chroma samples; in a 4:2:0 image (whose pixels past
// the edge repeat the last ones) the four samples of a group are one
// chroma sample, so the block is the chroma plane's 8×8 region, edge
// samples repeated.
func (e *encoder) writeSOS(m *image.YCbCr) {
	e.out = append(e.out, sosHeaderYCbCr...)
	var (
		b                           block
		prevDCY, prevDCCb, prevDCCr int32
	)
	bounds := m.Bounds()
	xmax, ymax := bounds.Dx()-1, bounds.Dy()-1
	// The plane offsets of the image's top-left pixel.
	y0 := m.YOffset(bounds.Min.X, bounds.Min.Y)
	c0 := m.COffset(bounds.Min.X, bounds.Min.Y)
	yPix, cbPix, crPix := m.Y[y0:], m.Cb[c0:], m.Cr[c0:]
	// The origin is even (fast reports it): chroma of luma pixel x is
	// sample x/2.
	cxmax, cymax := xmax/2, ymax/2
	for y := 0; y <= ymax; y += 16 {
		for x := 0; x <= xmax; x += 16 {
			for i := 0; i < 4; i++ {
				planeBlock(&b, yPix, m.YStride, x+(i&1)*8, y+(i&2)*4, xmax, ymax)
				prevDCY = e.writeBlock(&b, 0, prevDCY)
			}
			planeBlock(&b, cbPix, m.CStride, x/2, y/2, cxmax, cymax)
			prevDCCb = e.writeBlock(&b, 1, prevDCCb)
			planeBlock(&b, crPix, m.CStride, x/2, y/2, cxmax, cymax)
			prevDCCr = e.writeBlock(&b, 1, prevDCCr)
		}
	}
	// Pad the last byte with 1's.
	e.emit(0x7f, 7)
	e.flushBytes()
}

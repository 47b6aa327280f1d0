package jpegcodec

// Fixed-point constants of the Loeffler–Ligtenberg–Moschytz DCT: each is
// round(v·2^b) for the value v its name gives (c = cos, s = sin, angles in
// units of π/16; r2 = √2) and the b bits its suffix gives.
const (
	c1b18, s1b18     = 257107, 51142  // cos, sin π/16
	c3b18, s3b18     = 217965, 145639 // cos, sin 3π/16
	r2c6b18, r2s6b18 = 141871, 342508 // √2·cos, √2·sin 6π/16
	r2b12            = 5793           // √2

	c1b14, s1b14     = 16069, 3196
	c3b14, s3b14     = 13623, 9102
	r2c6b14, r2s6b14 = 8867, 21407
	r2b14            = 23170
)

// rotate returns (a·kc + b·ks, −a·ks + b·kc) with three multiplies; the
// integer result is that of the four-multiply form.
func rotate(a, b, kc, ks int32) (int32, int32) {
	t := kc * (a + b)
	return t + (ks-kc)*b, t - (kc+ks)*a
}

// fdct transforms the 8×8 samples in blk (natural order, values 0..255) in
// place into DCT coefficients scaled by 8 (the DC of a flat block of v is
// 64·(v−128)), with the LLM flow graph: per 1-D transform four
// butterflies, two rotations (3π/16 and π/16) and two butterflies, one
// rotation-and-√2-scaling (6π/16) and three butterflies, a butterfly and
// two √2 scalings. Columns keep 18 fractional bits; rows work on values
// shifted right by 14 and round at the end. The level shift by 128 is
// applied once to the column sum.
func fdct(blk *[64]int32) {
	for c := 0; c < 8; c++ {
		p0, p1, p2, p3 := blk[c], blk[8+c], blk[16+c], blk[24+c]
		p4, p5, p6, p7 := blk[32+c], blk[40+c], blk[48+c], blk[56+c]
		a0, a7 := p0+p7, p0-p7
		a1, a6 := p1+p6, p1-p6
		a2, a5 := p2+p5, p2-p5
		a3, a4 := p3+p4, p3-p4

		o4, o7 := rotate(a4, a7, c3b18, s3b18)
		o5, o6 := rotate(a5, a6, c1b18, s1b18)
		e0, e3 := a0+a3, a0-a3
		e1, e2 := a1+a2, a1-a2

		e2, e3 = rotate(e2, e3, r2c6b18, r2s6b18)
		blk[c] = (e0 + e1 - 8*128) << 18
		blk[32+c] = (e0 - e1) << 18
		blk[16+c] = e2
		blk[48+c] = e3

		o4, o6 = o4+o6, o4-o6
		o7, o5 = o7+o5, o7-o5
		o5 = (o5 >> 12) * r2b12
		o6 = (o6 >> 12) * r2b12
		blk[8+c] = o7 + o4
		blk[24+c] = o5
		blk[40+c] = o6
		blk[56+c] = o7 - o4
	}
	for r := 0; r < 64; r += 8 {
		row := (*[8]int32)(blk[r : r+8])
		a0, a7 := row[0]+row[7], row[0]-row[7]
		a1, a6 := row[1]+row[6], row[1]-row[6]
		a2, a5 := row[2]+row[5], row[2]-row[5]
		a3, a4 := row[3]+row[4], row[3]-row[4]

		o4, o7 := rotate(a4>>14, a7>>14, c3b14, s3b14)
		o5, o6 := rotate(a5>>14, a6>>14, c1b14, s1b14)
		e0, e3 := a0+a3, a0-a3
		e1, e2 := a1+a2, a1-a2

		e2, e3 = rotate(e2>>14, e3>>14, r2c6b14, r2s6b14)
		e0, e1 = e0+e1, e0-e1
		o4, o6 = o4+o6, o4-o6
		o7, o5 = o7+o5, o7-o5
		o5 = (o5 >> 14) * r2b14
		o6 = (o6 >> 14) * r2b14
		o7, o4 = o7+o4, o7-o4

		const half = 1 << 17
		row[0] = (e0 + half) >> 18
		row[1] = (o7 + half) >> 18
		row[2] = (e2 + half) >> 18
		row[3] = (o5 + half) >> 18
		row[4] = (e1 + half) >> 18
		row[5] = (o6 + half) >> 18
		row[6] = (e3 + half) >> 18
		row[7] = (o4 + half) >> 18
	}
}

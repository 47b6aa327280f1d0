package jpegcodec

// Fixed-point constants of the inverse transform: round(v·2^b), named as
// for the forward one (r2i = 1/√2).
const (
	r2ic6b18, r2is6b18 = 70936, 171254 // cos, sin 6π/16 over √2
	r2ib8              = 181
	c3b12, s3b12       = 3406, 2276
	c1b12, s1b12       = 4017, 799

	r2ic6b12, r2is6b12 = 1108, 2676
	r2ib14             = 11585
)

// idct turns dequantised coefficients (natural order) into samples
// without the level shift (clamp to −128..127, add 128): the LLM flow
// graph run backwards, rows first with 17–20 fractional bits, then
// columns, truncating by shifts where image/jpeg's decoder does. int32
// arithmetic wraps as image/jpeg's does on corrupt input.
func idct(blk *[64]int32) {
	for r := 0; r < 64; r += 8 {
		row := (*[8]int32)(blk[r : r+8])
		if row[1]|row[2]|row[3]|row[4]|row[5]|row[6]|row[7] == 0 {
			// Only the DC term: every output is row[0]<<17 (what the
			// butterflies below compute when the rest is zero).
			v := row[0] << 17
			*row = [8]int32{v, v, v, v, v, v, v, v}
			continue
		}
		// Inputs in the order the forward transform stored them.
		e0, o7, e2, o5 := row[0]<<17, row[1], row[2], row[3]
		e1, o6, e3, o4 := row[4]<<17, row[5], row[6], row[7]

		e0, e1 = e0+e1, e0-e1
		e2, e3 = rotate(e2, e3, r2ic6b18, -r2is6b18)
		e1, e2 = e1+e2, e1-e2
		e0, e3 = e0+e3, e0-e3

		o4 <<= 7
		o7 <<= 7
		o7, o4 = o7+o4, o7-o4
		o6 *= r2ib8
		o5 *= r2ib8
		o7, o5 = o7+o5, o7-o5
		o4, o6 = o4+o6, o4-o6
		o4, o7 = rotate(o4>>2, o7>>2, c3b12, -s3b12)
		o5, o6 = rotate(o5>>2, o6>>2, c1b12, -s1b12)

		row[0], row[7] = e0+o7, e0-o7
		row[1], row[6] = e1+o6, e1-o6
		row[2], row[5] = e2+o5, e2-o5
		row[3], row[4] = e3+o4, e3-o4
	}
	for c := 0; c < 8; c++ {
		e0, o7, e2, o5 := blk[c]+1<<19, blk[8+c], blk[16+c], blk[24+c]
		e1, o6, e3, o4 := blk[32+c], blk[40+c], blk[48+c], blk[56+c]

		e0, e1 = (e0+e1)>>2, (e0-e1)>>2
		e2, e3 = rotate(e2>>13, e3>>13, r2ic6b12, -r2is6b12)
		e1, e2 = e1+e2, e1-e2
		e0, e3 = e0+e3, e0-e3

		o7, o4 = o7+o4, o7-o4
		o5 = (o5 >> 13) * r2ib14
		o6 = (o6 >> 13) * r2ib14
		o7, o5 = o7+o5, o7-o5
		o4, o6 = o4+o6, o4-o6
		o4, o7 = rotate(o4>>14, o7>>14, c3b12, -s3b12)
		o5, o6 = rotate(o5>>14, o6>>14, c1b12, -s1b12)

		blk[c], blk[56+c] = (e0+o7)>>18, (e0-o7)>>18
		blk[8+c], blk[48+c] = (e1+o6)>>18, (e1-o6)>>18
		blk[16+c], blk[40+c] = (e2+o5)>>18, (e2-o5)>>18
		blk[24+c], blk[32+c] = (e3+o4)>>18, (e3-o4)>>18
	}
}

// Package jpegcodec is rigsync's own baseline JPEG codec (ITU-T T.81,
// sequential DCT, 8-bit samples, Huffman coding), written for the writers
// that re-encode camera images (KITTI and nuScenes decode every distorted
// camera's JPEGs, undistort them and encode them again).
//
// # Same bytes as image/jpeg
//
// Append produces exactly the bytes that the standard library's
// image/jpeg.Encode produces for the same image and quality, so that
// switching to it changes no output file. It follows the same choices,
// each a fact of image/jpeg's output format rather than of the spec:
//
//   - markers SOI, one DQT holding both tables (luminance 0, chrominance
//     1, even for a gray image), SOF0, one DHT (the four tables of T.81
//     Annex K.3, two for a gray image), SOS, the entropy-coded data, EOI;
//     no APPn, no restart intervals;
//   - the Annex K.1 quantisation tables scaled by quality q (clamped to
//     1..100) with s = 5000/q below 50 and 200-2q from 50, each entry
//     (v*s+50)/100 clamped to 1..255;
//   - three components (Y 2×2, Cb and Cr 1×1: 4:2:0) except for
//     *image.Gray (one component); chroma of a 16×16 macroblock is the
//     rounded mean (sum+2)>>2 of each 2×2 group of full-resolution samples,
//     and pixels past the right and bottom edges repeat the last column
//     and row;
//   - the integer forward DCT of Loeffler, Ligtenberg and Moschytz
//     (ICASSP 1989) in the fixed-point arrangement of Go 1.25+ (columns
//     with 18-bit constants, rows with 14-bit constants on values shifted
//     right by 14, outputs rounded to 8× the orthonormal DCT); the
//     constants are round(2^b·cos(kπ/16)) and friends;
//   - quantisation as a division of the coefficient by 8·Q rounded half
//     away from zero;
//   - the last byte padded with 1 bits.
//
// The speed comes from how, not what: planes read row by row without
// per-pixel interface calls or bounds checks in the interior, quantisation
// by a multiply with a 32-bit reciprocal that equals the division for
// every coefficient the DCT can produce (TestReciprocalExact checks all of
// them), a 64-bit bit accumulator written 32 bits at a time with a
// word-wide test for 0xFF bytes that need stuffing, Huffman code and
// magnitude bits emitted together from one table, zero runs found with a
// bit mask of the non-zero coefficients, and no allocation besides the
// output.
//
// Images other than *image.Gray, *image.RGBA and 4:2:0 *image.YCbCr (with
// an even origin) are passed to image/jpeg, so every image encodes. The
// differential test TestSameBytesAsStdlib compares the two encoders on
// random and real images of sizes that are not multiples of 8 or 16 at
// every quality; should a Go release change image/jpeg's arithmetic, that
// test is where it shows.
//
// # Same images as image/jpeg
//
// Decode returns exactly image/jpeg.Decode's image for the files it
// decodes itself (baseline, one interleaved scan, gray or 4:2:0, no
// restart interval): the same image type, bounds, strides and plane
// sizes, and the same samples, padding included, from the same inverse
// LLM transform and clamping. Every other file, and every damaged one, is
// passed to image/jpeg: Decode never disagrees with it, which
// TestDecodeSameAsStdlib and FuzzDecode (image or error, on arbitrary
// bytes) check.
package jpegcodec

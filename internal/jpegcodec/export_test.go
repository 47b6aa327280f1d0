package jpegcodec

// DecodedHere reports whether Decode decodes data itself rather than
// handing it to image/jpeg.
func DecodedHere(data []byte) bool { return decodeFast(data) != nil }

package ros

import "github.com/rigsync/rigsync/formats"

// DecodeTyped is Decode without the fixed-layout fast path, for the
// external tests that compare both.
func (d *Decoder) DecodeTyped(data []byte) (formats.Decoded, error) { return d.decodeTyped(data) }

// DecodeFixed runs the fixed-layout fast path alone: ok is false when the
// decoder has none or it declines data.
func (d *Decoder) DecodeFixed(data []byte) (out formats.Decoded, ok bool) {
	if d.fixed == nil {
		return formats.Decoded{}, false
	}
	return d.fixed(d, data, false)
}

// HasFixed reports whether the decoder has a fixed-layout fast path.
func (d *Decoder) HasFixed() bool { return d.fixed != nil }

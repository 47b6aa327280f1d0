package ros

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// DecodeError is a wire-level decoding error: it names the field path
// (e.g. "returns[3].range") and the byte offset in the payload.
type DecodeError struct {
	// Encoding is "cdr" or "ros1".
	Encoding string
	// Path is the dotted field path ("" for the message itself).
	Path string
	// Offset is the byte offset in the payload (header included).
	Offset int
	Err    error
}

// Error describes the failure with the field path and byte offset.
func (e *DecodeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("ros: %s: at offset %d: %v", e.Encoding, e.Offset, e.Err)
	}
	return fmt.Sprintf("ros: %s: field %s at offset %d: %v", e.Encoding, e.Path, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// wireErr is the internal error carried up the decode recursion; the path
// segments are collected innermost first.
type wireErr struct {
	segs []string
	off  int
	err  error
}

func (e *wireErr) Error() string { return e.err.Error() }

// in adds an enclosing path segment (a field name or "[i]").
func in(err error, seg string) error {
	if we, ok := err.(*wireErr); ok {
		we.segs = append(we.segs, seg)
		return we
	}
	return err
}

func inIndex(err error, i int) error {
	if we, ok := err.(*wireErr); ok {
		we.segs = append(we.segs, "["+strconv.Itoa(i)+"]")
		return we
	}
	return err
}

// finish turns an internal error into a *DecodeError.
func finish(err error, enc string) error {
	we, ok := err.(*wireErr)
	if !ok {
		return err
	}
	var b strings.Builder
	for i := len(we.segs) - 1; i >= 0; i-- {
		s := we.segs[i]
		if b.Len() > 0 && s[0] != '[' {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return &DecodeError{Encoding: enc, Path: b.String(), Offset: we.off, Err: we.err}
}

// alignment modes
const (
	alignNone = iota // ROS 1
	alignX1          // XCDR1: 8-byte primitives align to 8
	alignX2          // XCDR2: 8-byte primitives align to 4
)

// reader walks one payload.
type reader struct {
	b      []byte
	off    int
	origin int
	mode   int
	be     bool
}

func (r *reader) short(n int) error {
	return &wireErr{off: r.off, err: fmt.Errorf("need %d bytes, have %d: %w", n, len(r.b)-r.off, io.ErrUnexpectedEOF)}
}

func (r *reader) fail(format string, args ...any) error {
	return &wireErr{off: r.off, err: fmt.Errorf(format, args...)}
}

// alignOf is the alignment of a primitive of size n in the reader's mode.
func alignOf(mode, n int) int {
	switch mode {
	case alignNone:
		return 1
	case alignX2:
		if n > 4 {
			return 4
		}
	}
	return n
}

// align skips padding for a primitive of size n.
func (r *reader) align(n int) error { return r.alignTo(alignOf(r.mode, n)) }

// alignTo skips padding to a multiple of a (a power of two) from the origin.
func (r *reader) alignTo(a int) error {
	pad := -(r.off - r.origin) & (a - 1)
	if pad == 0 {
		return nil
	}
	if len(r.b)-r.off < pad {
		return r.short(pad)
	}
	r.off += pad
	return nil
}

// need checks that n bytes remain.
func (r *reader) need(n int) error {
	if n < 0 || len(r.b)-r.off < n {
		return r.short(n)
	}
	return nil
}

func (r *reader) u8() (uint8, error) {
	if r.off >= len(r.b) {
		return 0, r.short(1)
	}
	v := r.b[r.off]
	r.off++
	return v, nil
}

func (r *reader) u32() (uint32, error) {
	if err := r.align(4); err != nil {
		return 0, err
	}
	if len(r.b)-r.off < 4 {
		return 0, r.short(4)
	}
	var v uint32
	if r.be {
		v = binary.BigEndian.Uint32(r.b[r.off:])
	} else {
		v = binary.LittleEndian.Uint32(r.b[r.off:])
	}
	r.off += 4
	return v, nil
}

// count reads a sequence or string length and checks that count elements
// of at least minSize bytes each fit in what is left.
func (r *reader) count(minSize int) (int, error) {
	start := r.off
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if minSize < 1 {
		minSize = 1
	}
	if rem := len(r.b) - r.off; uint64(n) > uint64(rem/minSize) {
		r.off = start
		return 0, r.fail("count %d × %d bytes exceeds the %d bytes left: %w", n, minSize, rem, io.ErrUnexpectedEOF)
	}
	return int(n), nil
}

// needN checks that n elements of size bytes remain, without overflow.
func (r *reader) needN(n, size int) error {
	if rem := len(r.b) - r.off; size > 0 && n > 0 && n > rem/size {
		if n == 1 {
			return r.short(size)
		}
		return &wireErr{off: r.off, err: fmt.Errorf("need %d × %d bytes, have %d: %w", n, size, rem, io.ErrUnexpectedEOF)}
	}
	return nil
}

// at reads fixed-size values at absolute offsets (used by typed paths after
// the walk has checked the bounds).
type at struct {
	b  []byte
	be bool
}

func (a at) u16(off int) uint16 {
	if a.be {
		return binary.BigEndian.Uint16(a.b[off:])
	}
	return binary.LittleEndian.Uint16(a.b[off:])
}

func (a at) u32(off int) uint32 {
	if a.be {
		return binary.BigEndian.Uint32(a.b[off:])
	}
	return binary.LittleEndian.Uint32(a.b[off:])
}

func (a at) u64(off int) uint64 {
	if a.be {
		return binary.BigEndian.Uint64(a.b[off:])
	}
	return binary.LittleEndian.Uint64(a.b[off:])
}

func (a at) f32(off int) float32 { return math.Float32frombits(a.u32(off)) }
func (a at) f64(off int) float64 { return math.Float64frombits(a.u64(off)) }

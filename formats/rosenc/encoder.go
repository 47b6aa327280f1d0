package rosenc

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Encapsulation is the 4-byte CDR encapsulation header every payload starts
// with: plain CDR (XCDR1), little endian, no options.
var Encapsulation = [4]byte{0x00, 0x01, 0x00, 0x00}

// Encoder writes one CDR payload at a time into a reused buffer. The zero
// value is ready to use; call Reset before each message. Methods never fail
// on their own: an unrepresentable value (a stamp outside the int32 second
// range, a sequence longer than 2³²−1) is recorded and reported by Err.
type Encoder struct {
	buf []byte
	err error
}

// Reset empties the buffer (keeping its capacity), writes the encapsulation
// header and clears the error.
func (e *Encoder) Reset() {
	e.buf = append(e.buf[:0], Encapsulation[:]...)
	e.err = nil
}

// Bytes returns the encoded payload (header included). It aliases the
// encoder's buffer and is valid until the next Reset.
func (e *Encoder) Bytes() []byte {
	e.start()
	return e.buf
}

// Len is the payload length so far, header included.
func (e *Encoder) Len() int { return len(e.buf) }

// Grow makes room for n more bytes without another allocation.
func (e *Encoder) Grow(n int) {
	e.start()
	if n > cap(e.buf)-len(e.buf) {
		nb := make([]byte, len(e.buf), len(e.buf)+n)
		copy(nb, e.buf)
		e.buf = nb
	}
}

// Err is the first unrepresentable value seen since the last Reset.
func (e *Encoder) Err() error { return e.err }

func (e *Encoder) setErr(err error) {
	if e.err == nil {
		e.err = err
	}
}

// start writes the header if nothing has been written yet (zero Encoder).
func (e *Encoder) start() {
	if len(e.buf) == 0 {
		e.buf = append(e.buf, Encapsulation[:]...)
	}
}

// align pads with zero bytes so that the next n-byte value starts at an
// offset (relative to the end of the header) that is a multiple of n.
func (e *Encoder) align(n int) {
	e.start()
	if pad := (len(e.buf) - len(Encapsulation)) % n; pad != 0 {
		for range n - pad {
			e.buf = append(e.buf, 0)
		}
	}
}

// Bool writes a bool as one byte, 0 or 1.
func (e *Encoder) Bool(v bool) {
	var b uint8
	if v {
		b = 1
	}
	e.Uint8(b)
}

// Uint8 writes a uint8 (also ROS byte and char).
func (e *Encoder) Uint8(v uint8) {
	e.start()
	e.buf = append(e.buf, v)
}

// Int8 writes an int8.
func (e *Encoder) Int8(v int8) { e.Uint8(uint8(v)) }

// Uint16 writes a uint16, aligned to 2.
func (e *Encoder) Uint16(v uint16) {
	e.align(2)
	e.buf = binary.LittleEndian.AppendUint16(e.buf, v)
}

// Int16 writes an int16, aligned to 2.
func (e *Encoder) Int16(v int16) { e.Uint16(uint16(v)) }

// Uint32 writes a uint32, aligned to 4.
func (e *Encoder) Uint32(v uint32) {
	e.align(4)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, v)
}

// Int32 writes an int32, aligned to 4.
func (e *Encoder) Int32(v int32) { e.Uint32(uint32(v)) }

// Uint64 writes a uint64, aligned to 8.
func (e *Encoder) Uint64(v uint64) {
	e.align(8)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, v)
}

// Int64 writes an int64, aligned to 8.
func (e *Encoder) Int64(v int64) { e.Uint64(uint64(v)) }

// Float32 writes a float32, aligned to 4.
func (e *Encoder) Float32(v float32) { e.Uint32(math.Float32bits(v)) }

// Float64 writes a float64, aligned to 8.
func (e *Encoder) Float64(v float64) { e.Uint64(math.Float64bits(v)) }

// SeqLen writes the element count of a sequence (T[] or T[<=N]) as a
// uint32. The elements follow, each aligned by its own type.
func (e *Encoder) SeqLen(n int) {
	if n < 0 || uint64(n) > math.MaxUint32 {
		e.setErr(fmt.Errorf("rosenc: sequence length %d does not fit a uint32", n))
		n = 0
	}
	e.Uint32(uint32(n))
}

// String writes a string: a uint32 length that counts the trailing NUL,
// the bytes, then the NUL. The empty string is length 1 and a lone NUL.
func (e *Encoder) String(s string) {
	if uint64(len(s))+1 > math.MaxUint32 {
		e.setErr(fmt.Errorf("rosenc: string of %d bytes is too long", len(s)))
		s = ""
	}
	e.Uint32(uint32(len(s) + 1))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, 0)
}

// Uint8Seq writes a uint8[] sequence: a uint32 count then the raw bytes.
func (e *Encoder) Uint8Seq(b []byte) {
	e.SeqLen(len(b))
	if uint64(len(b)) <= math.MaxUint32 {
		e.buf = append(e.buf, b...)
	}
}

// Uint8Array writes a fixed uint8[N] array: the bytes, no count.
func (e *Encoder) Uint8Array(b []byte) {
	e.start()
	e.buf = append(e.buf, b...)
}

// Float64Array writes a fixed float64[N] array: the values, no count.
func (e *Encoder) Float64Array(v []float64) {
	if len(v) == 0 {
		return
	}
	e.align(8)
	for _, x := range v {
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(x))
	}
}

// Float64Seq writes a float64[] sequence: a uint32 count, then the values
// (the first one aligned to 8).
func (e *Encoder) Float64Seq(v []float64) {
	e.SeqLen(len(v))
	e.Float64Array(v)
}

// Float32Array writes a fixed float32[N] array: the values, no count.
func (e *Encoder) Float32Array(v []float32) {
	if len(v) == 0 {
		return
	}
	e.align(4)
	for _, x := range v {
		e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(x))
	}
}

// Time writes ns as builtin_interfaces/Time (int32 sec, uint32 nanosec)
// with floor semantics: sec = ⌊ns / 1e9⌋ and 0 ≤ nanosec < 1e9. A second
// outside the int32 range is recorded as an error and written as 0.
func (e *Encoder) Time(ns int64) {
	sec, nsec, err := splitTime(ns)
	if err != nil {
		e.setErr(err)
	}
	e.Int32(sec)
	e.Uint32(nsec)
}

// splitTime splits ns into ROS 2 (sec, nanosec) with floor semantics.
func splitTime(ns int64) (int32, uint32, error) {
	sec := ns / 1e9
	rem := ns % 1e9
	if rem < 0 {
		sec--
		rem += 1e9
	}
	if sec < math.MinInt32 || sec > math.MaxInt32 {
		return 0, 0, fmt.Errorf("rosenc: stamp %d ns is outside the int32 second range of builtin_interfaces/Time", ns)
	}
	return int32(sec), uint32(rem), nil
}

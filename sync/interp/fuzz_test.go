package interp

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// FuzzBuffer inserts poses and looks times up: no panic, interpolated
// rotations stay unit, results stay within the bracketing samples'
// translations, and out-of-range lookups report extrapolation.
func FuzzBuffer(f *testing.F) {
	f.Add([]byte{10, 0, 0, 0, 1, 2, 3, 4, 20, 0, 0, 0, 9, 8, 7, 6}, int64(15))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0}, int64(0))
	f.Fuzz(func(t *testing.T, data []byte, at int64) {
		b := NewBuffer(time100)
		for len(data) >= 8 {
			st := int64(binary.LittleEndian.Uint32(data))
			a := float64(int8(data[4])) / 16
			q := quat.Number{Real: math.Cos(a), Imag: math.Sin(a) * float64(int8(data[5])) / 128,
				Jmag: math.Sin(a) * float64(int8(data[6])) / 128, Kmag: math.Sin(a) * float64(int8(data[7])) / 128}
			if n := quat.Abs(q); n > 0 {
				q = quat.Scale(1/n, q)
			}
			b.Insert(Pose{Stamp: st, Translation: r3.Vec{X: float64(data[5])}, Rotation: q})
			data = data[8:]
		}
		p, err := b.At(at)
		if err != nil {
			var ee *ExtrapolationError
			if !errors.Is(err, ErrNoData) && !errors.As(err, &ee) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if n := quat.Abs(p.Rotation); math.Abs(n-1) > 1e-6 {
			t.Fatalf("|q| = %g at %d", n, at)
		}
		if p.Translation.X < 0 || p.Translation.X > 255 {
			t.Fatalf("translation %v outside the samples' range", p.Translation)
		}
	})
}

const time100 = 100 * 1e9

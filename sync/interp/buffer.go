package interp

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// DefaultCache is tf2's default cache length (10 s).
const DefaultCache = 10 * time.Second

// Pose is a rigid transform at a time: p_parent = R·p_child + Translation,
// R the rotation of the unit quaternion Rotation.
type Pose struct {
	Stamp       int64
	Translation r3.Vec
	Rotation    quat.Number
}

// Errors returned by Buffer. ExtrapolationError wraps the first two.
var (
	// ErrForward: the time is after the newest sample.
	ErrForward = errors.New("interp: lookup would require extrapolation into the future")
	// ErrBackward: the time is before the oldest sample.
	ErrBackward = errors.New("interp: lookup would require extrapolation into the past")
	// ErrNoData: the buffer is empty, or holds one sample at another time.
	ErrNoData = errors.New("interp: no data for this time")
	// ErrOldData: an inserted sample is older than the cache keeps.
	ErrOldData = errors.New("interp: sample older than the cache")
)

// ExtrapolationError tells how far outside the buffered range a lookup was.
type ExtrapolationError struct {
	Time, Oldest, Newest int64
	Err                  error // ErrForward or ErrBackward
}

func (e *ExtrapolationError) Error() string {
	return fmt.Sprintf("%v: requested %d ns, buffer holds [%d, %d] ns", e.Err, e.Time, e.Oldest, e.Newest)
}

// Unwrap returns ErrForward or ErrBackward.
func (e *ExtrapolationError) Unwrap() error { return e.Err }

// Buffer holds the poses of one frame over the last Cache of time.
type Buffer struct {
	cache   int64
	samples []Pose // ascending stamps
}

// NewBuffer returns a Buffer keeping cache of history (≤ 0: DefaultCache).
func NewBuffer(cache time.Duration) *Buffer {
	if cache <= 0 {
		cache = DefaultCache
	}
	return &Buffer{cache: int64(cache)}
}

// Len returns the number of buffered samples.
func (b *Buffer) Len() int { return len(b.samples) }

// Insert adds a sample. Samples with NaN or a quaternion whose norm is not
// 1 (±1e-3) are rejected, as are samples older than the newest minus the
// cache (ErrOldData); an exact duplicate stamp is ignored; samples that
// fall out of the cache are pruned.
func (b *Buffer) Insert(p Pose) error {
	t, q := p.Translation, p.Rotation
	for _, v := range []float64{t.X, t.Y, t.Z, q.Real, q.Imag, q.Jmag, q.Kmag} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("interp: sample at %d ns has a NaN or infinite value", p.Stamp)
		}
	}
	if n := quat.Abs(q); math.Abs(n-1) > 1e-3 {
		return fmt.Errorf("interp: sample at %d ns: quaternion norm %g, want 1", p.Stamp, n)
	}
	if len(b.samples) > 0 {
		newest := b.samples[len(b.samples)-1].Stamp
		if p.Stamp < newest-b.cache {
			return fmt.Errorf("%w: %d ns is more than %v before the newest %d ns", ErrOldData, p.Stamp, time.Duration(b.cache), newest)
		}
	}
	i, found := slices.BinarySearchFunc(b.samples, p.Stamp, func(s Pose, t int64) int { return cmp.Compare(s.Stamp, t) })
	if found {
		return nil
	}
	b.samples = slices.Insert(b.samples, i, p)
	newest := b.samples[len(b.samples)-1].Stamp
	k := 0
	for k < len(b.samples)-1 && b.samples[k].Stamp < newest-b.cache {
		k++
	}
	if k > 0 {
		b.samples = slices.Delete(b.samples, 0, k)
	}
	return nil
}

// At returns the pose at t: t = 0 means the newest sample; an exact stamp
// returns that sample; between two samples the translation is interpolated
// linearly and the rotation by shortest-path slerp, with r = (t − t0)/(t1 −
// t0); outside the buffered range it returns an *ExtrapolationError.
func (b *Buffer) At(t int64) (Pose, error) {
	n := len(b.samples)
	switch {
	case n == 0:
		return Pose{}, fmt.Errorf("%w: the buffer is empty", ErrNoData)
	case t == 0:
		return b.samples[n-1], nil
	case n == 1:
		if b.samples[0].Stamp == t {
			return b.samples[0], nil
		}
		return Pose{}, fmt.Errorf("%w: one sample, at %d ns, none at %d ns", ErrNoData, b.samples[0].Stamp, t)
	}
	oldest, newest := b.samples[0].Stamp, b.samples[n-1].Stamp
	if t > newest {
		return Pose{}, &ExtrapolationError{Time: t, Oldest: oldest, Newest: newest, Err: ErrForward}
	}
	if t < oldest {
		return Pose{}, &ExtrapolationError{Time: t, Oldest: oldest, Newest: newest, Err: ErrBackward}
	}
	i, found := slices.BinarySearchFunc(b.samples, t, func(s Pose, t int64) int { return cmp.Compare(s.Stamp, t) })
	if found {
		return b.samples[i], nil
	}
	p0, p1 := b.samples[i-1], b.samples[i]
	r := float64(t-p0.Stamp) / float64(p1.Stamp-p0.Stamp)
	return Pose{
		Stamp:       t,
		Translation: r3.Add(r3.Scale(1-r, p0.Translation), r3.Scale(r, p1.Translation)),
		Rotation:    Slerp(p0.Rotation, p1.Rotation, r),
	}, nil
}

// Slerp interpolates unit quaternions along the shorter arc: r = 0 gives
// q0, r = 1 gives q1 (or −q1, the same rotation).
func Slerp(q0, q1 quat.Number, r float64) quat.Number {
	dot := q0.Real*q1.Real + q0.Imag*q1.Imag + q0.Jmag*q1.Jmag + q0.Kmag*q1.Kmag
	if dot < 0 {
		q1, dot = quat.Scale(-1, q1), -dot
	}
	if dot > 1-1e-12 {
		// Nearly identical: linear interpolation, renormalised.
		q := quat.Add(quat.Scale(1-r, q0), quat.Scale(r, q1))
		return quat.Scale(1/quat.Abs(q), q)
	}
	theta := math.Acos(dot) // half the rotation angle between them
	s := math.Sin(theta)
	return quat.Add(quat.Scale(math.Sin((1-r)*theta)/s, q0), quat.Scale(math.Sin(r*theta)/s, q1))
}

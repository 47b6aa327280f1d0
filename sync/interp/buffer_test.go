package interp

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

func yaw(a float64) quat.Number { return quat.Number{Real: math.Cos(a / 2), Kmag: math.Sin(a / 2)} }

func yawOf(q quat.Number) float64 { return 2 * math.Atan2(q.Kmag, q.Real) }

func TestBufferAt(t *testing.T) {
	b := NewBuffer(0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.At(5); !errors.Is(err, ErrNoData) {
		t.Errorf("empty: %v", err)
	}
	must(b.Insert(Pose{Stamp: 1000, Translation: r3.Vec{X: 1}, Rotation: yaw(0)}))
	if _, err := b.At(1001); !errors.Is(err, ErrNoData) {
		t.Errorf("one sample, other time: %v", err)
	}
	must(b.Insert(Pose{Stamp: 2000, Translation: r3.Vec{X: 3, Y: 2}, Rotation: yaw(math.Pi / 2)}))
	// A sample on the far side of ±180°: slerp must take the short way.
	must(b.Insert(Pose{Stamp: 3000, Translation: r3.Vec{X: 3, Y: 2}, Rotation: quat.Scale(-1, yaw(math.Pi/2+0.2))}))
	cases := []struct {
		t       int64
		x, y    float64
		yawDeg  float64
		wantErr error
	}{
		{1000, 1, 0, 0, nil},
		{1500, 2, 1, 45, nil},
		{1250, 1.5, 0.5, 22.5, nil},
		{2000, 3, 2, 90, nil},
		{2500, 3, 2, 90 + 0.1*180/math.Pi, nil}, // half of the short 0.2 rad arc
		{0, 3, 2, 90 + 0.2*180/math.Pi, nil},    // t = 0: newest
		{3001, 0, 0, 0, ErrForward},
		{999, 0, 0, 0, ErrBackward},
	}
	for _, tc := range cases {
		p, err := b.At(tc.t)
		if tc.wantErr != nil {
			var ee *ExtrapolationError
			if !errors.Is(err, tc.wantErr) || !errors.As(err, &ee) || ee.Oldest != 1000 || ee.Newest != 3000 {
				t.Errorf("At(%d): %v, want %v with range [1000, 3000]", tc.t, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("At(%d): %v", tc.t, err)
		}
		if math.Abs(p.Translation.X-tc.x) > 1e-12 || math.Abs(p.Translation.Y-tc.y) > 1e-12 {
			t.Errorf("At(%d): translation %v, want (%g, %g)", tc.t, p.Translation, tc.x, tc.y)
		}
		if d := math.Remainder(yawOf(p.Rotation)*180/math.Pi-tc.yawDeg, 360); math.Abs(d) > 1e-9 {
			t.Errorf("At(%d): yaw %.9f°, want %.9f°", tc.t, yawOf(p.Rotation)*180/math.Pi, tc.yawDeg)
		}
		if n := quat.Abs(p.Rotation); math.Abs(n-1) > 1e-12 {
			t.Errorf("At(%d): |q| = %g", tc.t, n)
		}
	}
}

func TestBufferInsertRules(t *testing.T) {
	b := NewBuffer(10_000) // 10 µs cache
	if err := b.Insert(Pose{Stamp: 50_000, Rotation: yaw(0)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Insert(Pose{Stamp: 39_999, Rotation: yaw(0)}); !errors.Is(err, ErrOldData) {
		t.Errorf("old sample: %v", err)
	}
	if err := b.Insert(Pose{Stamp: 60_000, Translation: r3.Vec{X: math.NaN()}, Rotation: yaw(0)}); err == nil {
		t.Error("NaN accepted")
	}
	if err := b.Insert(Pose{Stamp: 60_000, Rotation: quat.Number{Real: 2}}); err == nil {
		t.Error("non-unit quaternion accepted")
	}
	b.Insert(Pose{Stamp: 50_000, Translation: r3.Vec{X: 9}, Rotation: yaw(0)}) // duplicate: ignored
	if p, _ := b.At(50_000); p.Translation.X != 0 {
		t.Errorf("duplicate replaced the sample")
	}
	b.Insert(Pose{Stamp: 70_000, Rotation: yaw(0)}) // prunes 50 000 (older than 60 000)
	if b.Len() != 1 {
		t.Errorf("%d samples after pruning, want 1", b.Len())
	}
}

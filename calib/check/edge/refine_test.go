package edge

import (
	"math"
	"testing"
)

// The roll sensitivity of the quadratic model on hand-made models with
// known answers: a ridge between the roll and the optical axis (H_zr ≠ 0)
// moves the optical-axis optimum by −H_zr/H_zz per degree of roll, and
// by the joint solve when the pitch is coupled too; without a peak over
// the other free axes (H not positive definite) there is no answer.
func TestRollSensitivity(t *testing.T) {
	for _, tc := range []struct {
		name string
		H    [3][3]float64
		free [3]bool
		want [3]float64
		ok   bool
	}{{
		name: "independent axes",
		H:    [3][3]float64{{4, 0, 0}, {0, 1, 0}, {0, 0, 2}},
		free: [3]bool{true, true, true},
		ok:   true,
	}, {
		name: "roll–optical-axis ridge",
		H:    [3][3]float64{{4, 0, 2}, {0, 1, 0}, {2, 0, 2}},
		free: [3]bool{true, true, true},
		want: [3]float64{0, 0, -1},
		ok:   true,
	}, {
		name: "roll not searched: same ridge",
		H:    [3][3]float64{{4, 0, 2}, {0, 1, 0}, {2, 0, 2}},
		free: [3]bool{false, true, true},
		want: [3]float64{0, 0, -1},
		ok:   true,
	}, {
		name: "pitch coupled to both",
		// [[2, 1], [1, 2]]·d = −[1, 2] → d = [0, −1].
		H:    [3][3]float64{{4, 1, 2}, {1, 2, 1}, {2, 1, 2}},
		free: [3]bool{true, true, true},
		want: [3]float64{0, 0, -1},
		ok:   true,
	}, {
		name: "pitch held",
		H:    [3][3]float64{{4, 1, 2}, {1, 2, 1}, {2, 1, 2}},
		free: [3]bool{true, false, true},
		want: [3]float64{0, 0, -1},
		ok:   true,
	}, {
		name: "no peak",
		H:    [3][3]float64{{1, 0, 0}, {0, -1, 0}, {0, 0, 1}},
		free: [3]bool{true, true, true},
	}, {
		name: "nothing free but roll",
		H:    [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		free: [3]bool{true, false, false},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			q := quadratic{H: tc.H}
			got, ok := q.rollSensitivity(tc.free)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			for i := range 3 {
				if math.Abs(got[i]-tc.want[i]) > 1e-12 {
					t.Fatalf("sensitivity %v, want %v", got, tc.want)
				}
			}
		})
	}
}

package match

import (
	"slices"
	"testing"
	"time"
)

// The LiDAR–camera association cases of tier4_perception_dataset
// (tests/utils/test_misc.py), transcribed: LiDAR is the reference, latency
// 50 ms, period 100 ms, window PhaseWindow(50ms, 100ms) = [0, 150) ms.
// Each row is (camera index or -1 for a dropped image, LiDAR index).
func TestReferenceTier4(t *testing.T) {
	lidar5 := []float64{0, 0.1, 0.2, 0.3, 0.4}
	cases := []struct {
		name   string
		images []float64
		lidar  []float64
		want   [][2]int
	}{
		{"1", []float64{0.07, 0.17, 0.27, 0.37, 0.47}, lidar5, [][2]int{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}}},
		{"2", []float64{0.07, 0.27, 0.47}, lidar5, [][2]int{{0, 0}, {-1, 1}, {1, 2}, {-1, 3}, {2, 4}}},
		{"3", []float64{0.11, 0.21, 0.31, 0.41, 0.51}, lidar5, [][2]int{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}}},
		{"4", []float64{0.14, 0.24, 0.34, 0.44, 0.54}, lidar5, [][2]int{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}}},
		{"5", []float64{0.07, 0.17, 0.27, 0.37, 0.47}, []float64{0, 0.2, 0.3, 0.4}, [][2]int{{0, 0}, {2, 1}, {3, 2}, {4, 3}}},
		{"6", []float64{0.07, 0.37, 0.47}, lidar5, [][2]int{{0, 0}, {-1, 1}, {-1, 2}, {1, 3}, {2, 4}}},
		{"7", []float64{0.19, 0.29, 0.39, 0.49}, lidar5, [][2]int{{-1, 0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}}},
	}
	ns := func(s float64) int64 { return int64(s*1e9 + 0.5) }
	for _, tc := range cases {
		// Push in stamp order, as a log delivers them.
		for _, interleave := range []bool{false, true} {
			var got [][2]int
			dropped := 0
			r, err := NewReference(ReferenceConfig{Topics: 2, Reference: 1, QueueSize: 10,
				Windows: []Window{PhaseWindow(50*time.Millisecond, 100*time.Millisecond), {}}},
				Handler[int]{
					Set: func(ms []Member[int]) error {
						cam := -1
						if ms[0].Present {
							cam = ms[0].Value
						}
						got = append(got, [2]int{cam, ms[1].Value})
						return nil
					},
					Drop: func(int, Member[int], Reason) { dropped++ },
				})
			if err != nil {
				t.Fatal(err)
			}
			i, j := 0, 0
			for i < len(tc.images) || j < len(tc.lidar) {
				takeImage := j == len(tc.lidar) || (i < len(tc.images) && tc.images[i] <= tc.lidar[j])
				if !interleave {
					takeImage = j == len(tc.lidar)
				}
				if takeImage {
					r.Push(0, ns(tc.images[i]), i)
					i++
				} else {
					r.Push(1, ns(tc.lidar[j]), j)
					j++
				}
			}
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("case %s (interleaved %v): got %v, want %v", tc.name, interleave, got, tc.want)
			}
			used := 0
			for _, g := range got {
				if g[0] >= 0 {
					used++
				}
			}
			if used+dropped != len(tc.images) {
				t.Errorf("case %s: %d images used + %d dropped != %d", tc.name, used, dropped, len(tc.images))
			}
		}
	}
}

// A dead topic never blocks: with queue size 2, the third reference message
// forces the first out with the silent topic missing.
func TestReferenceDeadTopic(t *testing.T) {
	var sets [][]int64
	r, _ := NewReference(ReferenceConfig{Topics: 3, Reference: 0, QueueSize: 2,
		Windows: []Window{{}, Tolerance(10), Tolerance(10)}},
		Handler[int]{Set: func(ms []Member[int]) error {
			s := make([]int64, len(ms))
			for i, m := range ms {
				s[i] = -1
				if m.Present {
					s[i] = m.Stamp
				}
			}
			sets = append(sets, s)
			return nil
		}})
	for k := int64(0); k < 4; k++ {
		r.Push(0, 100*k, 0)
		r.Push(1, 100*k+3, 0)
	}
	want := [][]int64{{0, 3, -1}, {100, 103, -1}}
	if !slices.EqualFunc(sets, want, slices.Equal) {
		t.Errorf("sets = %v, want %v", sets, want)
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(sets) != 4 {
		t.Errorf("after Flush %d sets, want 4", len(sets))
	}
}

// Sets never cross: when the nearest message of the first reference skips
// an earlier one, that earlier one is not given to a later reference.
func TestReferenceNoCrossing(t *testing.T) {
	c := newCollector()
	r, _ := NewReference(ReferenceConfig{Topics: 2, Reference: 0, QueueSize: 10,
		Windows: []Window{{}, Tolerance(10)}}, c.handler())
	r.Push(1, 0, 0)
	r.Push(0, 5, 1)
	r.Push(0, 6, 2)
	r.Push(1, 6, 3)
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{5, 6}, {6, -1}}
	if !slices.EqualFunc(c.sets, want, slices.Equal) {
		t.Errorf("sets = %v, want %v", c.sets, want)
	}
	if c.drops[Superseded] != 1 {
		t.Errorf("drops %v, want the skipped message as superseded", c.drops)
	}
}

package labelcheck_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/labelcheck"
)

// TestPartialSorts checks the partial sorts that replace full sorts in the
// box fit against slices.Sort: the k lowest and highest values in order,
// and the i-th value, on random coordinates with and without ties.
func TestPartialSorts(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	for _, tc := range []struct {
		name   string
		n      int
		levels int // 0: continuous values; else that many distinct values
	}{
		{"three", 3, 0}, {"twelve", 12, 0}, {"thirteen", 13, 0}, {"twenty-four", 24, 0},
		{"hundreds", 700, 0}, {"ties", 500, 5}, {"all-equal", 40, 1}, {"sorted", 300, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for trial := range 50 {
				c := make([]float64, tc.n)
				for i := range c {
					switch {
					case tc.levels > 0:
						c[i] = float64(rng.IntN(tc.levels)) * 0.1
					case tc.levels < 0:
						c[i] = float64(i) * 0.01
					default:
						c[i] = rng.NormFloat64() * 3
					}
				}
				sorted := slices.Sorted(slices.Values(c))
				orig := slices.Clone(c)
				k := min(len(c), 12)
				if got, want := labelcheck.Lowest(c, k, nil), sorted[:k]; !slices.Equal(got, want) {
					t.Fatalf("trial %d: Lowest = %v, want %v", trial, got, want)
				}
				buf := make([]float64, 0, 2)
				if got, want := labelcheck.Highest(c, k, buf), sorted[len(c)-k:]; !slices.Equal(got, want) {
					t.Fatalf("trial %d: Highest = %v, want %v", trial, got, want)
				}
				if !slices.Equal(c, orig) {
					t.Fatalf("trial %d: Lowest/Highest changed their input", trial)
				}
				for _, i := range []int{0, len(c) / 2, len(c) - 1, rng.IntN(len(c))} {
					if got := labelcheck.Nth(slices.Clone(c), i); got != sorted[i] {
						t.Fatalf("trial %d: Nth(%d) = %v, want %v", trial, i, got, sorted[i])
					}
				}
			}
		})
	}
}

// TestScratchReuse: a Checker reuses its buffers (cloud index, clusters,
// fits) from frame to frame; over frames whose clouds grow and shrink, with
// labelled, wrong, spurious and unlabelled objects, its report must be the
// one a Checker gives that starts every frame with no buffers.
func TestScratchReuse(t *testing.T) {
	car := labels.Size{Length: 4.5, Width: 1.8, Height: 1.5}
	a := object{center: r3.Vec{X: 10, Y: 4, Z: 0.75}, size: car}
	b := object{center: r3.Vec{X: 12, Y: -5, Z: 0.75}, size: car, yaw: 0.2, vel: r3.Vec{X: 6}}
	wall := object{center: r3.Vec{X: -9, Y: 2, Z: 0.75}, size: labels.Size{Length: 2, Width: 5, Height: 1.5}}
	// stray is never labelled; the building behind it, taller than the
	// field of view, is structure (so the stray's top is seen).
	stray := object{center: r3.Vec{X: -6, Y: -12, Z: 1}, size: labels.Size{Length: 3, Width: 2, Height: 2}}
	building := object{center: r3.Vec{X: -12, Y: -24, Z: 4}, size: labels.Size{Length: 2, Width: 8, Height: 8}, yaw: 0.5}
	frames := []struct {
		objs  []object
		boxes func(k int) []labels.Box
	}{
		{[]object{a, b, wall, stray, building}, nil},
		{[]object{a}, nil},
		{nil, nil},
		{[]object{a, b, wall, stray, building}, func(k int) []labels.Box {
			sb := truthBox("b", b)
			sb.Center.X += 0.5 // shifted
			ghost := labels.Box{ID: "ghost", Class: "car", Frame: labels.FrameBase, Center: r3.Vec{X: 5, Y: 9, Z: 0.75}, Size: car}
			return []labels.Box{truthBox("a", a), sb, truthBox("wall", wall), ghost}
		}},
		{[]object{a, stray, building}, nil},
		{[]object{a, b, wall, stray, building}, nil},
	}
	run := func(fresh bool) *labelcheck.Report {
		c := labelcheck.New(labelcheck.Options{Origin: &origin, KeepOK: true})
		for k, fr := range frames {
			f := sweep(fr.objs)
			f.Stamp += int64(k) * 1e8
			var boxes []labels.Box
			if fr.boxes != nil {
				boxes = fr.boxes(k)
			} else {
				for _, o := range fr.objs {
					switch o {
					case a:
						boxes = append(boxes, truthBox("a", o))
					case b:
						boxes = append(boxes, truthBox("b", o))
					case wall:
						boxes = append(boxes, truthBox("wall", o))
					}
				}
			}
			if fresh {
				labelcheck.DropScratch(c)
			}
			if err := c.Add(f, &labels.Frame{Index: k, StampNS: f.Stamp, Boxes: boxes}); err != nil {
				t.Fatal(err)
			}
		}
		return c.Finish()
	}
	reused, fresh := run(false), run(true)
	if !reflect.DeepEqual(reused, fresh) {
		t.Errorf("report with reused buffers differs from fresh buffers:\nreused %+v\nfresh  %+v", reused.Findings, fresh.Findings)
	}
	// The frames exercise what the buffers serve: an unlabelled cluster,
	// a spurious box (rays through it), a shifted box.
	kinds := map[string]bool{}
	for _, r := range reused.Findings {
		for _, k := range r.Kinds {
			kinds[k] = true
		}
	}
	for _, k := range []string{labelcheck.KindMissing, labelcheck.KindSpurious, labelcheck.KindShift} {
		if !kinds[k] {
			t.Errorf("no %s finding: the test frames do not exercise the reused buffers", k)
		}
	}
}

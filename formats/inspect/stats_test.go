package inspect

import (
	"math"
	"strings"
	"testing"
)

func TestStampUnit(t *testing.T) {
	cases := []struct {
		ratio float64
		want  string // substring of the description, "" = none
	}{
		{1, ""},
		{1.0001, ""},
		{0.98, ""},
		{1000, "milliseconds"},
		{1003, "milliseconds"},
		{1e6, "microseconds"},
		{1e9, "nanoseconds"},
		{1e-3, "1000^-1"},
		{50, ""},
		{-1, ""},
	}
	for _, c := range cases {
		got, fix, _ := stampUnit(c.ratio)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("ratio %g: got %q, want %q", c.ratio, got, c.want)
		}
		if got != "" && fix == "" {
			t.Errorf("ratio %g: no correction given", c.ratio)
		}
	}
}

func TestReservoirQuantiles(t *testing.T) {
	var r reservoir
	for i := 0; i <= 100; i++ {
		r.add(float64(i))
	}
	q := r.quantiles(0, 0.5, 0.99, 1)
	want := []float64{0, 50, 99, 100}
	for i := range q {
		if math.Abs(q[i]-want[i]) > 1e-9 {
			t.Errorf("quantile %d: got %g want %g", i, q[i], want[i])
		}
	}
	// Past the reservoir size the sample stays bounded and representative.
	var big reservoir
	n := 4 * reservoirSize
	for i := 0; i < n; i++ {
		big.add(float64(i))
	}
	if len(big.vals) != reservoirSize {
		t.Fatalf("reservoir holds %d values, want %d", len(big.vals), reservoirSize)
	}
	med := big.quantiles(0.5)[0]
	if math.Abs(med-float64(n)/2) > float64(n)*0.02 {
		t.Errorf("median of 0..%d from reservoir = %g, want about %d", n, med, n/2)
	}
}

func TestSampleWindows(t *testing.T) {
	for _, c := range []struct{ s, e int64 }{{0, 1e9}, {0, 5e9}, {0, 6e9}, {0, 7e9}, {100, 1000e9}, {5, 5}} {
		ws := sampleWindows(c.s, c.e)
		if ws[0][0] != c.s || ws[len(ws)-1][1] != c.e+1 {
			t.Errorf("%v: windows %v do not cover the start and the last message", c, ws)
		}
		for i := 1; i < len(ws); i++ {
			if ws[i][0] < ws[i-1][1] {
				t.Errorf("%v: windows %v overlap", c, ws)
			}
		}
	}
}

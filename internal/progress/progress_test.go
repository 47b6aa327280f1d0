package progress_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/progress"
)

// A seconds bar counts simulated seconds (it is fed nanoseconds).
func TestNewSeconds(t *testing.T) {
	for _, tc := range []struct {
		d          time.Duration
		done       int64
		wantN      int64
		wantMax    int64
		wantMaxEnd int64
	}{
		{10 * time.Second, int64(2500 * time.Millisecond), 2, 10, 10},
		{10 * time.Second, int64(10 * time.Second), 10, 10, 10},
		{1500 * time.Millisecond, int64(1200 * time.Millisecond), 1, 2, 2},
		{500 * time.Millisecond, int64(500 * time.Millisecond), 1, 1, 1},
	} {
		p := progress.NewSeconds(nil, "simulating", tc.d)
		if p.Total() != tc.wantMax {
			t.Errorf("%v: total %d s, want %d", tc.d, p.Total(), tc.wantMax)
		}
		p.SetNS(tc.done, int64(tc.d))
		if p.Done() != tc.wantN || p.Total() != tc.wantMaxEnd {
			t.Errorf("%v: %d ns done shows %d of %d s, want %d of %d", tc.d, tc.done, p.Done(), p.Total(), tc.wantN, tc.wantMaxEnd)
		}
	}
	// The generator's own reports, as fixtures generate feeds them.
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 2 * time.Second
	p := progress.NewSeconds(nil, "simulating", cfg.Duration)
	var seen []int64
	err = fixtures.Generate(context.Background(), cfg, io.Discard, io.Discard, func(done, total int64) {
		p.SetNS(done, total)
		seen = append(seen, p.Done())
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || seen[len(seen)-1] != 2 || p.Total() != 2 || slices.Max(seen) > 2 {
		t.Errorf("progress over a 2 s drive went %v of %d", seen, p.Total())
	}
}

// Off a terminal a Bar shows nothing but keeps its count.
func ExampleNew() {
	p := progress.New(nil, "reading", "msg", -1)
	p.Set(1200)
	p.SetTotal(5000)
	p.Finish()
	fmt.Println(p.Done(), p.Total())
	// Output: 1200 5000
}

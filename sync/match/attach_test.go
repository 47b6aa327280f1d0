package match

import (
	"fmt"
	"slices"
	"testing"
)

func TestAttach(t *testing.T) {
	type win struct {
		frame, after int64
		first        bool
		samples      []int64
	}
	var got []win
	drops := map[Reason]int{}
	a, err := NewAttach(100, AttachHandler[int]{
		Window: func(f, after int64, first bool, ms []Member[int]) error {
			var s []int64
			for _, m := range ms {
				s = append(s, m.Stamp)
			}
			got = append(got, win{f, after, first, s})
			return nil
		},
		Drop: func(m Member[int], r Reason) { drops[r]++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	// IMU every 5 from 0 to 60, frames at 10, 30, 50 interleaved as a log
	// delivers them (the frame arrives a bit after its stamp).
	for s := int64(0); s <= 60; s += 5 {
		if err := a.PushSample(s, int(s)); err != nil {
			t.Fatal(err)
		}
		if s == 15 || s == 35 || s == 55 {
			if err := a.PushFrame(s - 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []win{
		{10, 0, true, []int64{0, 5, 10}},
		{30, 10, false, []int64{15, 20, 25, 30}},
		{50, 30, false, []int64{35, 40, 45, 50}},
	}
	if !slices.EqualFunc(got, want, func(x, y win) bool {
		return x.frame == y.frame && x.after == y.after && x.first == y.first && slices.Equal(x.samples, y.samples)
	}) {
		t.Errorf("windows %v, want %v", got, want)
	}
	if drops[EndOfInput] != 2 { // 55 and 60
		t.Errorf("drops %v, want 2 end_of_input", drops)
	}
}

func ExampleAttach() {
	a, _ := NewAttach(10, AttachHandler[string]{Window: func(frame, after int64, first bool, ms []Member[string]) error {
		fmt.Println("frame", frame, "gets", len(ms), "IMU samples")
		return nil
	}})
	for t := int64(0); t <= 100; t += 10 {
		a.PushSample(t, "imu")
		if t == 50 || t == 100 {
			a.PushFrame(t)
		}
	}
	a.Flush()
	// Output:
	// frame 50 gets 6 IMU samples
	// frame 100 gets 5 IMU samples
}

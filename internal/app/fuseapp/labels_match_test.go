package fuseapp

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

func TestLabelMatcher(t *testing.T) {
	box := func(id, frame string, x float64) labels.Box {
		return labels.Box{ID: id, Class: "car", Frame: frame, Center: r3.Vec{X: x}, Size: labels.Size{Length: 4, Width: 2, Height: 1.5}}
	}
	set := &labels.Set{Frames: []labels.Frame{
		{Index: 2, StampNS: 200e6, Boxes: []labels.Box{box("a", "", 1)}},
		{Index: 0, StampNS: 0, Boxes: []labels.Box{box("a", "base_link", 1)}},
		{Index: 1, StampNS: 100e6, Boxes: []labels.Box{box("a", labels.FrameGlobal, 11)}},
		{Index: 3, StampNS: 900e6},
	}}
	m := NewLabelMatcher(set)
	if m.Tolerance() != 50e6 {
		t.Errorf("tolerance %d, want 50 ms (half the 100 ms spacing)", m.Tolerance())
	}
	ego := se3.Identity()
	ego.Trans = r3.Vec{X: 10} // T_global_base: the car is 10 m along global x
	tests := []struct {
		stamp int64
		ok    bool
		x     float64 // the box's centre in base_link
	}{
		{-60e6, false, 0},
		{0, true, 1},
		{130e6, true, 1},  // 30 ms from frame 1; global x 11 → base x 1
		{160e6, true, 1},  // 40 ms from frame 2: within 50 ms
		{210e6, false, 0}, // frame 2 is used: each labelled frame once
		{500e6, false, 0},
	}
	for _, tc := range tests {
		f := &fused.Frame{Stamp: tc.stamp, FrameID: "base_link", Ego: ego}
		boxes, ok := m.Match(f)
		if ok != tc.ok || boxes == nil {
			t.Fatalf("frame at %d ms: ok %v (boxes %v), want %v", tc.stamp/1e6, ok, boxes, tc.ok)
		}
		if !ok {
			if len(boxes) != 0 {
				t.Errorf("frame at %d ms: %d boxes without a match", tc.stamp/1e6, len(boxes))
			}
			continue
		}
		if len(boxes) != 1 || boxes[0].Frame != "base_link" || math.Abs(boxes[0].Center.X-tc.x) > 1e-9 {
			t.Errorf("frame at %d ms: %+v, want one base_link box at x %v", tc.stamp/1e6, boxes, tc.x)
		}
	}
	if got := m.Unmatched(); !slices.Equal(got, []int{3}) {
		t.Errorf("unmatched %v, want [3]", got)
	}
}

func TestCheckLabelFrames(t *testing.T) {
	ok := &labels.Set{Frames: []labels.Frame{{Boxes: []labels.Box{{ID: "1", Frame: "base_link"}, {ID: "2", Frame: "global"}, {ID: "3"}}}}}
	if err := checkLabelFrames(ok, "base_link"); err != nil {
		t.Error(err)
	}
	bad := &labels.Set{Frames: []labels.Frame{{Index: 4, Boxes: []labels.Box{{ID: "7", Frame: "velodyne"}}}}}
	if err := checkLabelFrames(bad, "base_link"); err == nil || !strings.Contains(err.Error(), `frame 4 box 7 is in "velodyne"`) {
		t.Errorf("error %v, want one naming frame 4 box 7 in velodyne", err)
	}
}

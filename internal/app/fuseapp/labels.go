package fuseapp

import (
	"fmt"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
)

// LabelsSummary says how fuse --labels matched the labels to the frames.
type LabelsSummary struct {
	// File and Format are the --labels file and the format it was read as.
	File   string `json:"file"`
	Format string `json:"format"`
	// Clock is the clock the labels' stamps are on.
	Clock string `json:"clock"`
	// ToleranceNS is the matching tolerance: half the smallest spacing
	// of the labels' frames, 50 ms at most.
	ToleranceNS int64 `json:"tolerance_ns"`
	// LabelFrames and LabelBoxes count the labels; Matched and Boxes
	// the labelled frames and boxes carried into fused frames.
	LabelFrames int `json:"label_frames"`
	LabelBoxes  int `json:"label_boxes"`
	Matched     int `json:"matched_frames"`
	Boxes       int `json:"boxes"`
	// Unmatched are the indexes of the labelled frames no fused frame
	// matched (their boxes are in no output).
	Unmatched []int `json:"unmatched_frames"`
}

// LabelMatcher pairs fused frames, in stamp order, with the frames of a
// labels set. The rule: a labelled frame belongs to the fused frame whose
// Stamp (the reference LiDAR sweep's reference time on the fused clock)
// is within the tolerance of its StampNS (half the smallest spacing of
// the labels' frames, 50 ms at most: never two fused frames of one
// labelled frame); each labelled frame is used once. The labels' stamps
// must be on the fused frames' clock (rigsync's labels of a fixture log
// are: its true clock is the log's corrected clock).
type LabelMatcher struct {
	frames []labels.Frame // by stamp
	used   []bool
	tol    int64
	next   int
}

// NewLabelMatcher returns the matcher of set's frames.
func NewLabelMatcher(set *labels.Set) *LabelMatcher {
	fr, tol := labels.ByStamp(set.Frames)
	return &LabelMatcher{frames: fr, used: make([]bool, len(fr)), tol: tol}
}

// Tolerance is the matching tolerance in ns.
func (m *LabelMatcher) Tolerance() int64 { return m.tol }

// Match returns the boxes of f's labelled frame, each moved into f's
// shared frame (FrameID at Stamp; global and world boxes with the
// inverse of f's ego pose, boxes with no frame taken as FrameID), and
// whether a labelled frame matched. Without a match it returns an empty,
// non-nil slice.
func (m *LabelMatcher) Match(f *fused.Frame) ([]labels.Box, bool) {
	for m.next < len(m.frames) && m.frames[m.next].StampNS < f.Stamp-m.tol {
		m.next++
	}
	if m.next >= len(m.frames) {
		return []labels.Box{}, false
	}
	lf := m.frames[m.next]
	if d := lf.StampNS - f.Stamp; d > m.tol || d < -m.tol {
		return []labels.Box{}, false
	}
	m.used[m.next] = true
	m.next++
	out := make([]labels.Box, 0, len(lf.Boxes))
	for _, b := range lf.Boxes {
		switch b.Frame {
		case labels.FrameGlobal, labels.FrameWorld:
			b = b.Transformed(f.Ego.Inverse(), f.FrameID)
		case "":
			b.Frame = f.FrameID
		}
		out = append(out, b)
	}
	return out, true
}

// Unmatched returns the indexes of the labelled frames Match never
// returned, in stamp order.
func (m *LabelMatcher) Unmatched() []int {
	out := []int{}
	for i, u := range m.used {
		if !u {
			out = append(out, m.frames[i].Index)
		}
	}
	return out
}

// checkLabelFrames refuses boxes fuse cannot place: those in a frame
// other than the fused frames' shared frame (base), the global or world
// frame (moved with the frame's ego pose) or none (taken as base).
func checkLabelFrames(s *labels.Set, base string) error {
	for _, f := range s.Frames {
		for _, b := range f.Boxes {
			switch b.Frame {
			case "", base, labels.FrameGlobal, labels.FrameWorld:
			default:
				return fmt.Errorf("frame %d box %s is in %q: fuse places boxes in %q, %q or %q", f.Index, b.ID, b.Frame, base, labels.FrameGlobal, labels.FrameWorld)
			}
		}
	}
	return nil
}

// attachLabels sets f.Labels from m and counts the match into sum.
func attachLabels(m *LabelMatcher, sum *LabelsSummary, f *fused.Frame) {
	boxes, ok := m.Match(f)
	f.Labels = boxes
	if ok {
		sum.Matched++
		sum.Boxes += len(boxes)
	}
}

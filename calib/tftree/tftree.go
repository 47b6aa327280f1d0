package tftree

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/rigsync/rigsync/calib/se3"
)

// Errors returned (wrapped) by Tree.
var (
	ErrUnknownFrame  = errors.New("tftree: unknown frame")
	ErrDisconnected  = errors.New("tftree: frames are not connected")
	ErrExtrapolation = errors.New("tftree: extrapolation")
	ErrCycle         = errors.New("tftree: cycle")
	ErrReparent      = errors.New("tftree: frame already has another parent")
)

// Latest, as the time of a lookup, asks for the latest time at which every
// transform on the path is available (tf2's Time(0)).
const Latest int64 = math.MinInt64

type sample struct {
	t  int64
	tf se3.Transform
}

type edge struct {
	parent  string
	static  bool
	samples []sample // sorted by t; one sample for a static edge
}

// Tree is a transform tree. The zero value is not usable; call New.
type Tree struct {
	edges  map[string]*edge // by child
	frames map[string]bool
}

// New returns an empty tree.
func New() *Tree {
	return &Tree{edges: map[string]*edge{}, frames: map[string]bool{}}
}

func (tr *Tree) link(parent, child string, static bool) (*edge, error) {
	if parent == "" || child == "" {
		return nil, fmt.Errorf("tftree: empty frame name (parent %q, child %q)", parent, child)
	}
	if parent == child {
		return nil, fmt.Errorf("%w: %q is its own parent", ErrCycle, child)
	}
	if e, ok := tr.edges[child]; ok {
		if e.parent != parent {
			return nil, fmt.Errorf("%w: %q is a child of %q, not %q", ErrReparent, child, e.parent, parent)
		}
		if e.static != static {
			return nil, fmt.Errorf("tftree: %q→%q is already %s", parent, child, kind(e.static))
		}
		return e, nil
	}
	// Walk up from parent: reaching child would close a cycle.
	for f, n := parent, 0; ; n++ {
		if f == child {
			return nil, fmt.Errorf("%w: adding %q→%q closes a loop", ErrCycle, parent, child)
		}
		e, ok := tr.edges[f]
		if !ok || n > len(tr.edges) {
			break
		}
		f = e.parent
	}
	e := &edge{parent: parent, static: static}
	tr.edges[child] = e
	tr.frames[parent], tr.frames[child] = true, true
	return e, nil
}

func kind(static bool) string {
	if static {
		return "static"
	}
	return "dynamic"
}

// SetStatic sets the static transform T_parent_child, valid at every time.
func (tr *Tree) SetStatic(parent, child string, tf se3.Transform) error {
	e, err := tr.link(parent, child, true)
	if err != nil {
		return err
	}
	e.samples = []sample{{0, tf}}
	return nil
}

// Add records the time-varying transform T_parent_child at time t (ns).
// Samples may arrive out of order; a sample at an existing time replaces it.
func (tr *Tree) Add(parent, child string, t int64, tf se3.Transform) error {
	if t == Latest {
		return fmt.Errorf("tftree: %q→%q: time %d is reserved for Latest", parent, child, t)
	}
	e, err := tr.link(parent, child, false)
	if err != nil {
		return err
	}
	n := len(e.samples)
	if n == 0 || e.samples[n-1].t < t {
		e.samples = append(e.samples, sample{t, tf})
		return nil
	}
	i := sort.Search(n, func(i int) bool { return e.samples[i].t >= t })
	if e.samples[i].t == t {
		e.samples[i].tf = tf
		return nil
	}
	e.samples = slices.Insert(e.samples, i, sample{t, tf})
	return nil
}

// Frames returns every known frame name, sorted.
func (tr *Tree) Frames() []string {
	out := make([]string, 0, len(tr.frames))
	for f := range tr.frames {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Known reports whether frame is a frame of the tree.
func (tr *Tree) Known(frame string) bool { return tr.frames[frame] }

// Parent returns the parent of frame and whether it has one.
func (tr *Tree) Parent(frame string) (string, bool) {
	e, ok := tr.edges[frame]
	if !ok {
		return "", false
	}
	return e.parent, true
}

// at returns T_parent_child of e at time t.
func (e *edge) at(parent, child string, t int64) (se3.Transform, error) {
	s := e.samples
	if e.static {
		return s[0].tf, nil
	}
	if t == Latest {
		return s[len(s)-1].tf, nil
	}
	if t < s[0].t || t > s[len(s)-1].t {
		return se3.Transform{}, fmt.Errorf("%w: %q→%q requested at %d ns, available [%d, %d] ns", ErrExtrapolation, parent, child, t, s[0].t, s[len(s)-1].t)
	}
	i := sort.Search(len(s), func(i int) bool { return s[i].t >= t })
	if s[i].t == t {
		return s[i].tf, nil
	}
	a, b := s[i-1], s[i]
	f := float64(t-a.t) / float64(b.t-a.t)
	return se3.Interpolate(a.tf, b.tf, f), nil
}

// chain returns the frames from f up to its root, f first.
func (tr *Tree) chain(f string) []string {
	out := []string{f}
	for {
		e, ok := tr.edges[f]
		if !ok || len(out) > len(tr.edges)+1 {
			return out
		}
		f = e.parent
		out = append(out, f)
	}
}

// latestCommon returns the latest time at which every dynamic edge on the
// chains is available: the minimum of their last sample times.
func (tr *Tree) latestCommon(frames []string) int64 {
	t := int64(math.MaxInt64)
	dyn := false
	for _, f := range frames {
		if e, ok := tr.edges[f]; ok && !e.static {
			dyn = true
			t = min(t, e.samples[len(e.samples)-1].t)
		}
	}
	if !dyn {
		return 0
	}
	return t
}

// Lookup returns T_target_source at time t (ns), which maps points in the
// source frame into the target frame. t = Latest uses the latest time every
// transform on the path has.
//
// The transforms are composed from the common ancestor down, starting
// from the identity: T_anc_source = ((I·T_anc_x1)·…)·T_xk_source. When
// target is that ancestor (an extrinsic T_base_sensor in a tree rooted at
// base), the result is T_anc_source itself, with no inverse composed.
func (tr *Tree) Lookup(target, source string, t int64) (se3.Transform, error) {
	for _, f := range []string{target, source} {
		if !tr.frames[f] {
			return se3.Transform{}, fmt.Errorf("%w: %q (known: %v)", ErrUnknownFrame, f, tr.Frames())
		}
	}
	if target == source {
		return se3.Identity(), nil
	}
	ct, cs := tr.chain(target), tr.chain(source)
	// Find the lowest common ancestor.
	inT := make(map[string]int, len(ct))
	for i, f := range ct {
		inT[f] = i
	}
	li, lj := -1, -1
	for j, f := range cs {
		if i, ok := inT[f]; ok {
			li, lj = i, j
			break
		}
	}
	if li < 0 {
		return se3.Transform{}, fmt.Errorf("%w: %q (root %q) and %q (root %q)", ErrDisconnected, target, ct[len(ct)-1], source, cs[len(cs)-1])
	}
	if t == Latest {
		t = tr.latestCommon(append(slices.Clone(ct[:li]), cs[:lj]...))
	}
	// T_anc_source = ((I · T_anc_x1) · …) · T_xk_source, composed from
	// the ancestor down.
	down := func(frames []string) (se3.Transform, error) {
		acc := se3.Identity()
		for i := len(frames) - 1; i >= 0; i-- {
			f := frames[i]
			e := tr.edges[f]
			tf, err := e.at(e.parent, f, t)
			if err != nil {
				return se3.Transform{}, err
			}
			acc = acc.Mul(tf)
		}
		return acc, nil
	}
	ancSrc, err := down(cs[:lj])
	if err != nil {
		return se3.Transform{}, err
	}
	if li == 0 {
		return ancSrc, nil // target is the ancestor
	}
	ancTgt, err := down(ct[:li])
	if err != nil {
		return se3.Transform{}, err
	}
	return ancTgt.Inverse().Mul(ancSrc), nil
}

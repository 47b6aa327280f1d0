package syncapp

import (
	"fmt"
	"slices"

	"github.com/rigsync/rigsync/formats/stamps"
	"github.com/rigsync/rigsync/sync/match"
)

// attacher cuts the attached streams into windows between sets and holds
// each set back until all its windows are complete.
type attacher struct {
	o         Options
	rep       *Report
	idx       map[*stamps.Stream]int
	corrected [][]int64
	order     [][]int32 // by stamp, for streams whose log order is not trusted
	next      []int32
	last      []int64
	seen      []bool
	att       []*match.Attach[int32]
	pending   []*Set // sets waiting for their windows, oldest first
	filled    [][]bool
	emitted   []int // windows emitted per attached topic for pending[0:]
	sizes     [][]int
	spare     *Set
}

func newAttacher(lg *stamps.Log, o Options, rep *Report, grouped []string, groupedIdx map[*stamps.Stream]int) (*attacher, error) {
	a := &attacher{o: o, rep: rep, idx: map[*stamps.Stream]int{}}
	for j, t := range o.Attach {
		s := lg.Stream(t)
		if s == nil || len(s.Stamps) == 0 {
			return nil, fmt.Errorf("syncrun: attached topic %q has no header stamps in the log", t)
		}
		if _, dup := groupedIdx[s]; dup || slices.Index(o.Attach, t) != j {
			return nil, fmt.Errorf("syncrun: topic %q is both grouped and attached, or attached twice", t)
		}
		c, cr, trusted, err := correct(s, o)
		if err != nil {
			return nil, err
		}
		a.idx[s] = j
		a.corrected = append(a.corrected, c)
		var ord []int32
		if !trusted {
			ord = byStamp(c)
		}
		a.order = append(a.order, ord)
		rep.Attached = append(rep.Attached, AttachReport{Topic: t, Messages: len(c), Unmatched: map[string]int{}, Clock: cr})
		j := j
		at, err := match.NewAttach(4096, match.AttachHandler[int32]{
			Window: func(frame, after int64, first bool, ms []match.Member[int32]) error {
				a.window(j, ms)
				return nil
			},
			Drop: func(m match.Member[int32], r match.Reason) {
				a.rep.Attached[j].Unmatched[r.String()]++
			},
		})
		if err != nil {
			return nil, err
		}
		a.att = append(a.att, at)
	}
	n := len(o.Attach)
	a.last, a.seen, a.emitted, a.sizes = make([]int64, n), make([]bool, n), make([]int, n), make([][]int, n)
	a.next = make([]int32, n)
	return a, nil
}

func (a *attacher) newSet(k int) *Set {
	if s := a.spare; s != nil {
		a.spare = nil
		return s
	}
	s := &Set{Stamps: make([]int64, k), Present: make([]bool, k), Attached: make([][]int64, len(a.att))}
	return s
}

// set receives an emitted set and its frame time.
func (a *attacher) set(s *Set, frame int64) error {
	if len(a.att) == 0 {
		if a.o.OnSet != nil {
			a.o.OnSet(s)
		}
		a.spare = s
		return nil
	}
	a.pending = append(a.pending, s)
	a.filled = append(a.filled, make([]bool, len(a.att)))
	for _, at := range a.att {
		if err := at.PushFrame(frame); err != nil {
			return err
		}
	}
	return nil
}

func (a *attacher) window(j int, ms []match.Member[int32]) {
	k := a.emitted[j]
	a.emitted[j]++
	if k >= len(a.pending) {
		return // cannot happen: one window per pushed frame
	}
	w := a.pending[k].Attached[j][:0]
	for _, m := range ms {
		w = append(w, m.Stamp)
	}
	a.pending[k].Attached[j] = w
	a.filled[k][j] = true
	a.sizes[j] = append(a.sizes[j], len(ms))
	for len(a.pending) > 0 && !slices.Contains(a.filled[0], false) {
		if a.o.OnSet != nil {
			a.o.OnSet(a.pending[0])
		}
		a.pending, a.filled = a.pending[1:], a.filled[1:]
		for i := range a.emitted {
			a.emitted[i]--
		}
	}
}

// push adds message idx of attached stream j.
func (a *attacher) push(j int, idx int32) error {
	if a.order[j] != nil {
		idx = a.order[j][a.next[j]]
		a.next[j]++
	}
	c := a.corrected[j][idx]
	if a.seen[j] && c <= a.last[j] {
		a.rep.Attached[j].Unmatched["out_of_order"]++
		return nil
	}
	a.last[j], a.seen[j] = c, true
	return a.att[j].PushSample(c, idx)
}

func (a *attacher) flush() error {
	for j, at := range a.att {
		if err := at.Flush(); err != nil {
			return err
		}
		r := &a.rep.Attached[j]
		sz := slices.Clone(a.sizes[j])
		slices.Sort(sz)
		r.Windows = len(sz)
		for _, n := range sz {
			if n == 0 {
				r.Empty++
			}
		}
		if len(sz) > 0 {
			r.MinSamples, r.MedianSamples, r.MaxSamples = sz[0], sz[len(sz)/2], sz[len(sz)-1]
		}
	}
	return nil
}

package edge

import (
	"errors"
	"sync"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/fusion/fused"
)

// Group checks every camera of the frames against one LiDAR: one Checker
// per camera, created with the group's Options when the camera is first
// seen. It gives the same results as separate Checkers fed the same
// frames, with less work:
//
//   - the LiDAR's depth discontinuities, the same for every camera (they
//     are found in the cloud's frame), are found once per frame instead of
//     once per camera (on the urban fixture rig, six cameras and a 64×1024
//     LiDAR, they were 45% of calib check's time);
//   - the cameras of a frame (image decoding, edge transform, scoring) are
//     worked on by up to Workers goroutines at once. Each camera's
//     Checker sees the frames in order, so the results do not depend on
//     the number of workers.
type Group struct {
	lidar   string
	opt     Options
	workers int
	by      map[string]*Checker
	names   []string
}

// NewGroup returns a group checking the cameras against the LiDAR named
// lidar (its frame id, as in fused.Cloud.Sources), on up to workers
// goroutines per frame (at least 1).
func NewGroup(lidar string, opt Options, workers int) *Group {
	return &Group{lidar: lidar, opt: opt, workers: max(1, workers), by: map[string]*Checker{}}
}

// Cameras returns the cameras checked so far, in the order they were
// first seen (the order of Results).
func (g *Group) Cameras() []string { return g.names }

// Add scores one fused frame for every camera in it (see Checker.Add):
// it returns when every camera is done with the frame and does not keep
// the frame beyond the camera images and points a Checker keeps.
func (g *Group) Add(f *fused.Frame) error {
	if f == nil {
		return errors.New("edge: nil frame")
	}
	for i := range f.Cameras {
		name := f.Cameras[i].Name
		if _, ok := g.by[name]; !ok {
			g.by[name] = NewCameraChecker(name, g.lidar, g.opt)
			g.names = append(g.names, name)
		}
	}
	// The ego-pose bookkeeping runs in order, then the depth
	// discontinuities each camera will ask for are found first, while the
	// other workers decode images.
	ms := make([]motion, len(g.names))
	shared := &frameEdges{}
	var warm []func()
	for i, name := range g.names {
		c := g.by[name]
		ms[i] = c.advance(f)
		if src := c.lidarSource(f); src >= 0 && len(g.names) > 1 {
			if e, ok := shared.entry(uint8(src), c.edgeParams(ms[i])); ok {
				warm = append(warm, func() { e.find(f.Lidar) })
			}
		}
	}
	return parallel(len(warm)+len(g.names), g.workers, func(i int) error {
		if i < len(warm) {
			warm[i]()
			return nil
		}
		i -= len(warm)
		g.by[g.names[i]].add(f, ms[i], shared)
		return nil
	})
}

// Results returns every camera's results (Checker.Results), in the order
// of Cameras.
func (g *Group) Results() ([]check.PairResult, []check.Overlay, error) {
	type out struct {
		prs []check.PairResult
		ovs []check.Overlay
	}
	outs := make(map[*Checker]out, len(g.names))
	var mu sync.Mutex
	if err := parallel(len(g.names), g.workers, func(i int) error {
		c := g.by[g.names[i]]
		p, o, err := c.Results()
		mu.Lock()
		outs[c] = out{p, o}
		mu.Unlock()
		return err
	}); err != nil {
		return nil, nil, err
	}
	var prs []check.PairResult
	var ovs []check.Overlay
	for _, name := range g.names {
		o := outs[g.by[name]]
		prs = append(prs, o.prs...)
		ovs = append(ovs, o.ovs...)
	}
	return prs, ovs, nil
}

// parallel runs fn(0) … fn(n−1) on up to workers goroutines (the
// caller's among them), taking the indexes in order, and returns the
// error of the lowest index that failed.
func parallel(n, workers int, fn func(i int) error) error {
	errs := make([]error, n)
	if workers <= 1 || n <= 1 {
		for i := range n {
			errs[i] = fn(i)
		}
		return firstErr(errs)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	work := func() {
		for {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			if i >= n {
				return
			}
			errs[i] = fn(i)
		}
	}
	for range min(workers, n) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return firstErr(errs)
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// frameEdges holds the depth discontinuities of one frame's cloud, found
// once per LiDAR source and extraction settings and shared by the cameras
// (safe for concurrent use).
type frameEdges struct {
	mu sync.Mutex
	m  map[edgeKey]*edgeEntry
}

type edgeKey struct {
	src uint8
	ep  edgeParams
}

type edgeEntry struct {
	key  edgeKey
	once sync.Once
	d    []discontinuity
}

// get returns discontinuities(cl, src, ep), found by the first caller; the
// result is shared and must not be modified. A nil receiver finds them
// afresh.
func (fe *frameEdges) get(cl *fused.Cloud, src uint8, ep edgeParams) []discontinuity {
	if fe == nil {
		return discontinuities(cl, src, ep)
	}
	e, _ := fe.entry(src, ep)
	return e.find(cl)
}

// entry returns the entry of (src, ep), and whether it is new.
func (fe *frameEdges) entry(src uint8, ep edgeParams) (*edgeEntry, bool) {
	k := edgeKey{src, ep}
	fe.mu.Lock()
	defer fe.mu.Unlock()
	if fe.m == nil {
		fe.m = map[edgeKey]*edgeEntry{}
	}
	e, ok := fe.m[k]
	if !ok {
		e = &edgeEntry{key: k}
		fe.m[k] = e
	}
	return e, !ok
}

// find returns the entry's discontinuities of cl, finding them on the
// first call.
func (e *edgeEntry) find(cl *fused.Cloud) []discontinuity {
	e.once.Do(func() { e.d = discontinuities(cl, e.key.src, e.key.ep) })
	return e.d
}

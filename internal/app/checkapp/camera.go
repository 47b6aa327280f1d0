package checkapp

import (
	"slices"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/check/edge"
	"github.com/rigsync/rigsync/fusion/fused"
)

// framesAhead is how many frames the camera checks may lag behind the
// fusion (each holds its images and cloud: a few MB on the urban rig).
const framesAhead = 4

// cameras checks every camera against the reference LiDAR (one
// edge.Group, cameras added when first seen). The group works on its own
// goroutine, up to framesAhead frames behind the fusion and the other
// checkers, and on e.workers goroutines per frame; the results are the
// same as checking each frame in turn on the caller's goroutine.
type cameras struct {
	e    *env
	ref  string
	g    *edge.Group
	ch   chan *fused.Frame
	done chan error
}

func newCameras(e *env) *cameras { return &cameras{e: e} }

func (c *cameras) Add(f *fused.Frame) error {
	if c.ref == "" {
		c.ref = referenceLidar(f)
	}
	if c.ref == "" {
		return nil
	}
	if c.g == nil {
		// The rotation about the optical axis is searched: without it a
		// camera turned about its optical axis passes as ok.
		opt := edge.Options{MaxFrames: c.e.maxFrames, Window: timeDuration(c.e.window), SearchImageRotation: true}
		if X, ok := c.e.cal.Extrinsics[c.ref]; ok {
			opt.LidarOrigin = X.Trans
		}
		c.g = edge.NewGroup(c.ref, opt, c.e.workers)
		if c.e.workers <= 1 {
			return c.g.Add(f)
		}
		c.ch, c.done = make(chan *fused.Frame, framesAhead), make(chan error, 1)
		go func() {
			var err error
			for f := range c.ch {
				if err == nil {
					err = c.g.Add(f)
				}
			}
			c.done <- err
		}()
	}
	if c.ch == nil {
		return c.g.Add(f)
	}
	c.ch <- f
	return nil
}

// wait stops the group's goroutine once it has every frame and returns
// its error (nil when there is none or it was stopped before).
func (c *cameras) wait() error {
	if c.ch == nil {
		return nil
	}
	close(c.ch)
	c.ch = nil
	return <-c.done
}

// stop is wait for a run that ends early.
func (c *cameras) stop() { _ = c.wait() }

func (c *cameras) Results() ([]check.PairResult, []check.Overlay, error) {
	if err := c.wait(); err != nil {
		return nil, nil, err
	}
	if c.g == nil {
		return nil, nil, nil
	}
	prs, ovs, err := c.g.Results()
	if err != nil {
		return nil, nil, err
	}
	prs = slices.DeleteFunc(prs, func(r check.PairResult) bool { return !c.e.opts.wants(r.Kind) })
	return prs, ovs, nil
}

package checkapp

import (
	"slices"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/check/edge"
	"github.com/rigsync/rigsync/fusion/fused"
)

// cameras runs one edge.Checker per camera against the reference LiDAR,
// created when the camera is first seen.
type cameras struct {
	e     *env
	ref   string
	by    map[string]*edge.Checker
	names []string
}

func newCameras(e *env) *cameras { return &cameras{e: e, by: map[string]*edge.Checker{}} }

func (c *cameras) Add(f *fused.Frame) error {
	if c.ref == "" {
		c.ref = referenceLidar(f)
	}
	if c.ref == "" {
		return nil
	}
	for i := range f.Cameras {
		name := f.Cameras[i].Name
		if _, ok := c.by[name]; ok {
			continue
		}
		// The rotation about the optical axis is searched: without it a
		// camera turned about its optical axis passes as ok.
		opt := edge.Options{MaxFrames: c.e.maxFrames, Window: timeDuration(c.e.window), SearchImageRotation: true}
		if X, ok := c.e.cal.Extrinsics[c.ref]; ok {
			opt.LidarOrigin = X.Trans
		}
		c.by[name] = edge.NewCameraChecker(name, c.ref, opt)
		c.names = append(c.names, name)
	}
	for _, name := range c.names {
		if err := c.by[name].Add(f); err != nil {
			return err
		}
	}
	return nil
}

func (c *cameras) Results() ([]check.PairResult, []check.Overlay, error) {
	var prs []check.PairResult
	var ovs []check.Overlay
	for _, name := range c.names {
		p, o, err := c.by[name].Results()
		if err != nil {
			return nil, nil, err
		}
		p = slices.DeleteFunc(p, func(r check.PairResult) bool { return !c.e.opts.wants(r.Kind) })
		prs = append(prs, p...)
		ovs = append(ovs, o...)
	}
	return prs, ovs, nil
}

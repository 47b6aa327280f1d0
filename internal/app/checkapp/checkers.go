package checkapp

import (
	"time"

	"github.com/rigsync/rigsync/calib/check"
)

func timeDuration(ns int64) time.Duration { return time.Duration(ns) }

// newCheckers returns the checkers the options ask for.
func newCheckers(e *env) []checker {
	var cs []checker
	if e.opts.wants(check.KindLidarCamera) || e.opts.wants(check.KindCameraTime) {
		cs = append(cs, newCameras(e))
	}
	var ll *lidarLidar
	if e.opts.wants(check.KindLidarLidar) {
		ll = newLidarLidar(e)
		cs = append(cs, ll)
	}
	if e.opts.wants(check.KindRadarLidar) {
		cs = append(cs, newRadarLidar(e))
	}
	// The hand-eye checker also measures the ego source's distance scale,
	// which the LiDAR–LiDAR check corrects its deskew bias with; it runs
	// (and its results are dropped) when only lidar-lidar is asked for.
	if e.opts.wants(check.KindHandEye) || ll != nil {
		he := newHandEye(e)
		if ll != nil {
			ll.he = he
		}
		cs = append(cs, he)
	}
	return cs
}

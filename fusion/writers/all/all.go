// Package all is the set of output formats rigsync's fuse offers. It is
// the one place that imports every writer; adding a format is a new
// writer package and a line here.
package all

import (
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/cvat"
	"github.com/rigsync/rigsync/fusion/writers/foxmcap"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/fusion/writers/kitti"
	"github.com/rigsync/rigsync/fusion/writers/nuscenes"
	"github.com/rigsync/rigsync/fusion/writers/segments"
	"github.com/rigsync/rigsync/fusion/writers/xtreme1"
)

// Formats returns a new registry of every output format, the default
// ("frames") first.
func Formats() *writers.Registry {
	return writers.New(
		frames.Format(),
		nuscenes.Format(),
		foxmcap.Format(),
		kitti.Format(),
		cvat.Format(),
		segments.Format(),
		xtreme1.Format(),
	)
}

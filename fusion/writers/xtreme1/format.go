package xtreme1

import (
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
)

// Format is the "xtreme1" output format of fuse.
func Format() writers.Format {
	return writers.Format{
		Name: "xtreme1",
		Doc: "an Xtreme1 / BasicAI upload folder: lidar_point_cloud_0/*.pcd, camera_image_N/, camera_config/*.json " +
			"(intrinsics, row-major lidar→camera matrix; zip it to upload)",
		Resume: "skips the frames " + outdir.ManifestName + " lists",
		New:    open,
	}
}

// open opens the writer of a fuse run.
func open(o writers.Options) (writers.Output, error) {
	w, err := New(o.Out, Options{Force: o.Force, Resume: o.Resume})
	if err != nil {
		return writers.Output{}, err
	}
	return writers.Output{Sink: w}, nil
}

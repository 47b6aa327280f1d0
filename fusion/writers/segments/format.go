package segments

import (
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
)

// Format is the "segments" output format of fuse.
func Format() writers.Format {
	return writers.Format{
		Name: "segments",
		Doc: "a Segments.ai point cloud sequence sample: pointcloud/*.pcd, images/<camera>/*.jpg and sample.json " +
			"(ego poses, calibrated images, OpenCV convention; asset URLs are --url-prefix + the relative path)",
		Resume: "skips the frames " + outdir.ManifestName + " lists; sample.json is written at the end",
		New:    open,
	}
}

// open opens the writer of a fuse run.
func open(o writers.Options) (writers.Output, error) {
	w, err := New(o.Out, Options{Force: o.Force, Resume: o.Resume, URLPrefix: o.URLPrefix})
	if err != nil {
		return writers.Output{}, err
	}
	return writers.Output{Sink: w}, nil
}

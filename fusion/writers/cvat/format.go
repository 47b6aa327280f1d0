package cvat

import "github.com/rigsync/rigsync/fusion/writers"

// Format is the "cvat" output format of fuse.
func Format() writers.Format {
	return writers.Format{
		Name: "cvat",
		Doc: "a CVAT 3D task folder: pointcloud/NNNNNN.pcd (x y z intensity) and related_images/NNNNNN_pcd/<camera>.jpg " +
			"(zip pointcloud and related_images; CVAT reads no calibration)",
		Resume: "skips the frames " + ManifestName + " lists",
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

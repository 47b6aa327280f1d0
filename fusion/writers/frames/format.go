package frames

import (
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
)

// Format is the "frames" output format of fuse.
func Format() writers.Format {
	return writers.Format{
		Projections: true,
		Name:        "frames",
		Doc: "a folder per frame: lidar.pcd (PCD v0.7 binary), radar.pcd, <camera>.jpg, per-camera projection sidecars, " +
			"frame.json (stamps, ego pose, calibration with its conventions, flags), and manifest.jsonl for the run",
		Resume: "skips the frames " + outdir.ManifestName + " lists",
		New:    open,
	}
}

// open opens the writer of a fuse run.
func open(o writers.Options) (writers.Output, error) {
	w, err := New(o.Out, Options{Force: o.Force, Resume: o.Resume, NoProjections: o.NoProjections})
	if err != nil {
		return writers.Output{}, err
	}
	return writers.Output{Sink: w}, nil
}

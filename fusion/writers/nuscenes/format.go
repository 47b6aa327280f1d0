package nuscenes

import (
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fusion/writers"
)

// Format is the "nuscenes" output format of fuse.
func Format() writers.Format {
	return writers.Format{
		Name: "nuscenes",
		Doc: "the v1.0 layout: 13 tables, samples/ and sweeps/ at --keyframe-hz, LIDAR_TOP .pcd.bin, radar PCD, undistorted JPEGs; " +
			"each sample_data's ego_pose is the ego pose at that sensor's own stamp (as the frames output's camera extrinsics use)",
		Resume: "skips the frames " + ManifestName + " lists; the tables are written at the end",
		New:    open,
	}
}

// open opens the writer of a fuse run.
func open(o writers.Options) (writers.Output, error) {
	opts := Options{KeyframeHz: o.KeyframeHz, BaseRadar: o.Radars(), Force: o.Force, Resume: o.Resume, EgoFrame: o.BaseFrame}
	if l := o.ReferenceLidar(); l != nil {
		opts.BaseLidar = *l
	} else {
		opts.BaseLidar = se3.Identity()
	}
	w, err := New(o.Out, opts)
	if err != nil {
		return writers.Output{}, err
	}
	return writers.Output{Sink: w}, nil
}

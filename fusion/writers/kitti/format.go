package kitti

import (
	"errors"

	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
)

// Format is the "kitti" output format of fuse.
func Format() writers.Format {
	return writers.Format{
		Name: "kitti",
		Doc: "velodyne/*.bin (LiDAR frame), image_N/, calib/*.txt (P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo, then P4...), timestamps; " +
			"image_2/P2 is the reference camera (the one looking most nearly along +x of --frame, or --kitti-camera NAME), " +
			"the others numbered 3, 0, 1, 4, ... by angle from it; images with distortion are undistorted so that P is exact",
		Resume: "skips the frames " + outdir.ManifestName + " lists",
		New:    open,
	}
}

// open opens the writer of a fuse run.
func open(o writers.Options) (writers.Output, error) {
	var cams []RigCamera
	for _, c := range o.Cameras() {
		cams = append(cams, RigCamera{Name: c.Name, Extrinsic: c.Extrinsic, Info: c.Info})
	}
	w, err := New(o.Out, Options{Force: o.Force, Resume: o.Resume, Lidar: o.ReferenceLidar(), IMU: o.IMU(),
		Reference: o.KITTICamera, Cameras: cams})
	if errors.Is(err, ErrUnknownCamera) {
		return writers.Output{}, &writers.OptionError{Option: "kitti-camera", Err: err}
	}
	if err != nil {
		return writers.Output{}, err
	}
	return writers.Output{Sink: w}, nil
}

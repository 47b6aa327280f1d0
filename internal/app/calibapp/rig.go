package calibapp

import (
	"context"
	"io"

	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/losses"
)

// RigInit drafts a rig.yaml from the log at path (MCAP, ROS 1 bag or
// rosbag2) and writes it to w: one sensor per data channel, with the
// extrinsics T_base_sensor that the log's /tf_static gives and the
// intrinsics of its camera infos (logcalib.ReadLog, then
// Calibration.Rig). base is the base frame of the extrinsics. It returns
// what the log reader lost in the part of the log it read (losses.Of,
// never nil when err is nil): the rig may miss a sensor or a transform
// that was in the lost part.
func RigInit(ctx context.Context, w io.Writer, path, base string) ([]fusion.InputProblem, error) {
	lc, probs, err := readLogCalibration(ctx, path)
	if err != nil {
		return nil, err
	}
	return probs, lc.Rig(base).Write(w)
}

// readLogCalibration reads the calibration a log carries
// (logcalib.ReadLog) and what its reader lost on the way (losses.Of,
// naming the file path).
func readLogCalibration(ctx context.Context, path string) (*logcalib.Calibration, []fusion.InputProblem, error) {
	r, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	lc, err := logcalib.ReadLog(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	return lc, losses.Of([]*logfile.Log{r}, []string{path}), nil
}

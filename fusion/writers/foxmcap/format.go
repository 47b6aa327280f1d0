package foxmcap

import (
	"errors"
	"fmt"
	"os"

	"github.com/rigsync/rigsync/fusion/writers"
)

// Format is the "mcap" output format of fuse: Options.Out is the file.
// It is written as Out.tmp and renamed into place when the run succeeds.
func Format() writers.Format {
	return writers.Format{
		Projections: true,
		Name:        "mcap",
		Doc:         "Foxglove protobuf in one MCAP file (-o is the file): fused PointCloud, images + CameraCalibration, FrameTransforms, projected points as ImageAnnotations",
		Resume:      "copies the complete frames of the killed run's OUT.tmp (kept as OUT.partial until the resumed run succeeds)",
		New:         create,
	}
}

// create opens o.Out.tmp for writing. A killed run leaves OUT.tmp; with
// o.Resume it is moved to OUT.partial and its complete frames are copied
// into the new OUT.tmp.
func create(o writers.Options) (writers.Output, error) {
	if _, err := os.Stat(o.Out); err == nil && !o.Force {
		if o.Resume {
			return writers.Output{}, fmt.Errorf("fuse: %s is complete: nothing to resume (use --force to write it again)", o.Out)
		}
		return writers.Output{}, fmt.Errorf("fuse: %s exists (use --force to overwrite)", o.Out)
	}
	tmp, partial := o.Out+".tmp", o.Out+".partial"
	var prev *os.File
	if o.Resume {
		if st, err := os.Stat(tmp); err == nil {
			if pst, err := os.Stat(partial); err != nil || st.Size() >= pst.Size() {
				if err := os.Rename(tmp, partial); err != nil {
					return writers.Output{}, err
				}
			}
		}
		if f, err := os.Open(partial); err == nil {
			prev = f
		}
	}
	f, err := os.Create(tmp)
	if err != nil {
		if prev != nil {
			prev.Close()
		}
		return writers.Output{}, err
	}
	opts := Options{Workers: o.Workers, NoProjections: o.NoProjections}
	if o.Calibration != nil {
		opts.Extrinsics = o.Calibration.Extrinsics
	}
	if prev != nil {
		opts.Resume = prev
	}
	w, err := New(f, opts)
	if err != nil {
		f.Close()
		os.Remove(tmp)
		if prev != nil {
			prev.Close()
		}
		return writers.Output{}, err
	}
	return writers.Output{Sink: w, Finish: func(ok bool) error {
		err := f.Close()
		if prev != nil {
			prev.Close()
		}
		if !ok || err != nil {
			return errors.Join(err, os.Remove(tmp))
		}
		if err := os.Rename(tmp, o.Out); err != nil {
			return err
		}
		if prev != nil {
			return os.Remove(partial)
		}
		return nil
	}}, nil
}

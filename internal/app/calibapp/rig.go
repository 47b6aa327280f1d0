package calibapp

import (
	"context"
	"io"

	"github.com/rigsync/rigsync/formats/logcalib"
)

// RigInit drafts a rig.yaml from the MCAP log at path and writes it to w:
// one sensor per data channel, with the extrinsics T_base_sensor that the
// log's /tf_static gives and the intrinsics of its camera infos
// (logcalib.ReadRig). base is the base frame of the extrinsics.
func RigInit(ctx context.Context, w io.Writer, path, base string) error {
	rg, err := logcalib.ReadRig(ctx, path, base)
	if err != nil {
		return err
	}
	return rg.Write(w)
}

// Package pcdfile encodes a fused cloud as the plainest PCD file every
// annotation tool reads (PCD v0.7, DATA binary, FIELDS x y z intensity, F4),
// the cloud format of the CVAT, Segments.ai and Xtreme1 writers.
package pcdfile

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/fusion/fused"
)

// xyzi is the field layout of XYZI.
var xyzi = append(pcd.XYZ[:3:3], pcd.NewField("intensity", 'F', 4))

// XYZI encodes a cloud as the plainest PCD every tool reads: v0.7, DATA
// binary, FIELDS x y z intensity, all F4 (an absent cloud is an empty one;
// absent intensities are 0).
func XYZI(c *fused.Cloud) ([]byte, error) {
	var p formats.Points
	if c != nil {
		p = c.Points
	}
	n := len(p.X)
	if len(p.Y) != n || len(p.Z) != n {
		return nil, fmt.Errorf("lidar: x, y, z have %d, %d, %d values", n, len(p.Y), len(p.Z))
	}
	if len(p.Intensity) != 0 && len(p.Intensity) != n {
		return nil, fmt.Errorf("lidar: intensity has %d values for %d points", len(p.Intensity), n)
	}
	h := pcd.AppendHeader(nil, pcd.DefaultComment, xyzi, n, "binary")
	b := make([]byte, len(h)+16*n)
	copy(b, h)
	d := b[len(h):]
	le := binary.LittleEndian
	for i := 0; i < n; i++ {
		le.PutUint32(d[16*i:], math.Float32bits(p.X[i]))
		le.PutUint32(d[16*i+4:], math.Float32bits(p.Y[i]))
		le.PutUint32(d[16*i+8:], math.Float32bits(p.Z[i]))
		if p.Intensity != nil {
			le.PutUint32(d[16*i+12:], math.Float32bits(p.Intensity[i]))
		}
	}
	return b, nil
}

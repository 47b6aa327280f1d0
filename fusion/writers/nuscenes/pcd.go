package nuscenes

import (
	"encoding/binary"
	"fmt"
	"math"
)

// RadarPoint is one detection as the nuScenes radar PCD stores it, in the
// radar's own frame.
type RadarPoint struct {
	X, Y, Z        float32
	DynProp        int8
	ID             int16
	RCS            float32
	VX, VY         float32 // raw velocity (radial, split along the line of sight)
	VXComp, VYComp float32 // ego-motion compensated
	IsQualityValid int8
	AmbigState     int8
	XRms, YRms     int8
	InvalidState   int8
	Pdh0           int8
	VXRms, VYRms   int8
}

// radarPointSize is the packed size of one radar point: 3×4 + 1 + 2 + 5×4 + 8×1.
const radarPointSize = 43

// AppendRadarPCD appends a radar PCD v0.7 file in the exact layout of the
// nuScenes radar sweeps: the 18-field header read line by line by the
// devkit's RadarPointCloud.from_file, DATA binary, then one trailing newline
// (the devkit asserts the payload ends before the last byte). An empty scan
// is written as one all-NaN point, since WIDTH must be positive and the
// devkit reads a NaN first point as an empty cloud.
func AppendRadarPCD(b []byte, pts []RadarPoint) []byte {
	n := len(pts)
	empty := n == 0
	if empty {
		n = 1
	}
	b = append(b, "# .PCD v0.7 - Point Cloud Data file format\n"+
		"VERSION 0.7\n"+
		"FIELDS x y z dyn_prop id rcs vx vy vx_comp vy_comp is_quality_valid ambig_state x_rms y_rms invalid_state pdh0 vx_rms vy_rms\n"+
		"SIZE 4 4 4 1 2 4 4 4 4 4 1 1 1 1 1 1 1 1\n"+
		"TYPE F F F I I F F F F F I I I I I I I I\n"+
		"COUNT 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n"...)
	b = fmt.Appendf(b, "WIDTH %d\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS %d\nDATA binary\n", n, n)
	if empty {
		nan := float32(math.NaN())
		pts = []RadarPoint{{X: nan, Y: nan, Z: nan, RCS: nan, VX: nan, VY: nan, VXComp: nan, VYComp: nan}}
	}
	f32 := func(b []byte, v float32) []byte { return binary.LittleEndian.AppendUint32(b, math.Float32bits(v)) }
	for _, p := range pts {
		b = f32(b, p.X)
		b = f32(b, p.Y)
		b = f32(b, p.Z)
		b = append(b, byte(p.DynProp))
		b = binary.LittleEndian.AppendUint16(b, uint16(p.ID))
		b = f32(b, p.RCS)
		b = f32(b, p.VX)
		b = f32(b, p.VY)
		b = f32(b, p.VXComp)
		b = f32(b, p.VYComp)
		b = append(b, byte(p.IsQualityValid), byte(p.AmbigState), byte(p.XRms), byte(p.YRms),
			byte(p.InvalidState), byte(p.Pdh0), byte(p.VXRms), byte(p.VYRms))
	}
	return append(b, '\n')
}

// AppendLidarBin appends LiDAR points as nuScenes .pcd.bin records: five
// little-endian float32 per point, x y z intensity ring.
func AppendLidarBin(b []byte, x, y, z, intensity, ring []float32) []byte {
	for i := range x {
		for _, v := range [5]float32{x[i], y[i], z[i], intensity[i], ring[i]} {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

package nuscenes

import (
	"encoding/binary"
	"math"

	"github.com/rigsync/rigsync/formats/pcd"
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

// radarFields is the field layout of the nuScenes radar sweeps.
var radarFields = []pcd.Field{
	pcd.NewField("x", 'F', 4), pcd.NewField("y", 'F', 4), pcd.NewField("z", 'F', 4), pcd.NewField("dyn_prop", 'I', 1), pcd.NewField("id", 'I', 2),
	pcd.NewField("rcs", 'F', 4), pcd.NewField("vx", 'F', 4), pcd.NewField("vy", 'F', 4), pcd.NewField("vx_comp", 'F', 4), pcd.NewField("vy_comp", 'F', 4),
	pcd.NewField("is_quality_valid", 'I', 1), pcd.NewField("ambig_state", 'I', 1), pcd.NewField("x_rms", 'I', 1), pcd.NewField("y_rms", 'I', 1),
	pcd.NewField("invalid_state", 'I', 1), pcd.NewField("pdh0", 'I', 1), pcd.NewField("vx_rms", 'I', 1), pcd.NewField("vy_rms", 'I', 1),
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
	b = pcd.AppendHeader(b, pcd.DefaultComment, radarFields, n, "binary")
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

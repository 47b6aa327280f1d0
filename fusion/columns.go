package fusion

import (
	"fmt"
	"math"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
)

// RadarColumns returns a radar message's detections (*formats.RadarScan or
// a *formats.PointCloud with x/y/z fields) in Cartesian sensor coordinates
// in m, with Doppler (m/s, positive away) and RCS columns (nil when the
// message has none).
func RadarColumns(p formats.Payload) (x, y, z, dop, rcs []float32, err error) {
	switch r := p.(type) {
	case *formats.RadarScan:
		n := r.Len()
		switch {
		case len(r.X) == n && len(r.Y) == n && len(r.Z) == n:
			x, y, z = r.X, r.Y, r.Z
		case len(r.Range) == n && len(r.Azimuth) == n:
			x, y, z = make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range n {
				el := 0.0
				if len(r.Elevation) == n {
					el = float64(r.Elevation[i])
				}
				rg, az := float64(r.Range[i]), float64(r.Azimuth[i])
				x[i] = float32(rg * math.Cos(el) * math.Cos(az))
				y[i] = float32(rg * math.Cos(el) * math.Sin(az))
				z[i] = float32(rg * math.Sin(el))
			}
		default:
			return nil, nil, nil, nil, nil, fmt.Errorf("fusion: radar scan of %d detections without position columns", n)
		}
		if len(r.Doppler) == n {
			dop = r.Doppler
		}
		if len(r.RCS) == n {
			rcs = r.RCS
		}
		return x, y, z, dop, rcs, nil
	case *formats.PointCloud:
		pts, err := fused.CloudPoints(r)
		if err != nil {
			return nil, nil, nil, nil, nil, fmt.Errorf("fusion: radar cloud: %w", err)
		}
		dop, _ = floatField(r, "doppler", "radial_velocity", "velocity", "vr")
		rcs, _ = floatField(r, "rcs", "amplitude")
		return pts.X, pts.Y, pts.Z, dop, rcs, nil
	}
	return nil, nil, nil, nil, nil, fmt.Errorf("fusion: radar payload %T", p)
}

// floatField reads the first float32 field among names of a packed cloud.
func floatField(pc *formats.PointCloud, names ...string) ([]float32, bool) {
	for _, name := range names {
		fd, ok := pc.Field(name)
		if !ok || fd.Type != formats.PointFloat32 || fd.Offset < 0 {
			continue
		}
		n := pc.Len()
		if n <= 0 || pc.PointStep <= 0 || fd.Offset+4 > pc.PointStep || n > len(pc.Data)/pc.PointStep {
			return nil, false
		}
		out := make([]float32, n)
		for i := range n {
			off := i*pc.PointStep + fd.Offset
			u := uint32(pc.Data[off]) | uint32(pc.Data[off+1])<<8 | uint32(pc.Data[off+2])<<16 | uint32(pc.Data[off+3])<<24
			if pc.BigEndian {
				u = uint32(pc.Data[off+3]) | uint32(pc.Data[off+2])<<8 | uint32(pc.Data[off+1])<<16 | uint32(pc.Data[off])<<24
			}
			out[i] = math.Float32frombits(u)
		}
		return out, true
	}
	return nil, false
}

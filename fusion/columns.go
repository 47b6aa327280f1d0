package fusion

import (
	"errors"
	"fmt"
	"math"

	"github.com/rigsync/rigsync/formats"
)

// ErrTooManySources is returned by Cloud.Grow when a frame already holds
// 255 LiDARs (the per-point source id is a uint8).
var ErrTooManySources = errors.New("fusion: too many LiDARs in one frame")

// Grow appends room for the n = pts.Len() points of the LiDAR named name:
// its source id is appended to Sources and to Source for every new point,
// intensity and ring are copied, and X/Y/Z/TimeOffset are extended with
// zeros for the caller to fill from index o on.
func (c *Cloud) Grow(name string, pts *formats.Points) (o int, err error) {
	if len(c.Sources) >= math.MaxUint8 {
		return 0, ErrTooManySources
	}
	src := uint8(len(c.Sources))
	c.Sources = append(c.Sources, name)
	n := pts.Len()
	o = c.Points.Len()
	P := &c.Points
	P.X = append(P.X, make([]float32, n)...)
	P.Y = append(P.Y, make([]float32, n)...)
	P.Z = append(P.Z, make([]float32, n)...)
	P.TimeOffset = append(P.TimeOffset, make([]int64, n)...)
	if pts.Intensity != nil || P.Intensity != nil {
		P.Intensity = append(P.Intensity, make([]float32, o+n-len(P.Intensity))...)
		copy(P.Intensity[o:], pts.Intensity)
	}
	if pts.Ring != nil || P.Ring != nil {
		P.Ring = append(P.Ring, make([]uint16, o+n-len(P.Ring))...)
		copy(P.Ring[o:], pts.Ring)
	}
	for range n {
		c.Source = append(c.Source, src)
	}
	return o, nil
}

// GrowLidar makes room in f.Lidar for the points of one LiDAR message of
// sensor name (see Cloud.Grow) and returns them as sensor-frame columns
// with the offset o of the first one in f.Lidar.Points, for the caller to
// transform. When the payload is not a usable cloud, st is marked missing
// with the reason and ok is false; a near-empty sweep (< 100 points) marks
// st degraded.
func (f *Frame) GrowLidar(name string, p formats.Payload, st *SensorStatus) (pts *formats.Points, o int, ok bool) {
	pc, isCloud := p.(*formats.PointCloud)
	if !isCloud {
		st.Missing, st.Note = true, fmt.Sprintf("payload %T is not a point cloud", p)
		return nil, 0, false
	}
	pts, err := CloudPoints(pc)
	if err != nil {
		st.Missing, st.Note = true, err.Error()
		return nil, 0, false
	}
	if f.Lidar == nil {
		f.Lidar = &Cloud{Deskew: "none"}
	}
	if o, err = f.Lidar.Grow(name, pts); err != nil {
		st.Missing, st.Note = true, err.Error()
		return nil, 0, false
	}
	if n := pts.Len(); n < 100 {
		st.Degraded, st.Note = true, fmt.Sprintf("near-empty sweep (%d points)", n)
	}
	return pts, o, true
}

// RadarSource registers radar name in f.Radar (created when nil) and
// returns its source id for the detections the caller appends; st is marked
// missing when the frame already holds 255 radars.
func (f *Frame) RadarSource(name string, st *SensorStatus) (src uint8, ok bool) {
	if f.Radar == nil {
		f.Radar = &RadarCloud{}
	}
	rc := f.Radar
	if len(rc.Sources) >= math.MaxUint8 {
		st.Missing, st.Note = true, "too many radars"
		return 0, false
	}
	rc.Sources = append(rc.Sources, name)
	return uint8(len(rc.Sources) - 1), true
}

// CloudPoints converts a packed cloud to columns; an empty cloud gives
// empty columns rather than an error.
func CloudPoints(pc *formats.PointCloud) (*formats.Points, error) {
	if pc.Len() == 0 {
		return &formats.Points{}, nil
	}
	return pc.Points()
}

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
		pts, err := CloudPoints(r)
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

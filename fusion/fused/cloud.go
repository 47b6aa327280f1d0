package fused

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

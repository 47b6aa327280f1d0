package rosenc

import (
	"encoding/binary"
	"math"

	"github.com/rigsync/rigsync/formats"
)

// Layout selects the per-point fields PackPoints writes after x, y, z
// (float32 each, at offsets 0, 4, 8). Flags combine with |.
type Layout uint8

// Point fields PackPoints can add. Each field is aligned to its own size,
// in this order, and point_step is rounded up to a multiple of 4.
const (
	// Intensity adds float32 "intensity" (formats.Points.Intensity).
	Intensity Layout = 1 << iota
	// Ring adds uint16 "ring" (formats.Points.Ring).
	Ring
	// TimeNs adds uint32 "t": ns after the cloud stamp (Ouster style),
	// clamped to [0, 2³²−1].
	TimeNs
	// TimeSec adds float32 "time": s after the cloud stamp (Velodyne/Hesai
	// style).
	TimeSec
)

// XYZ is the layout with only x, y, z.
const XYZ Layout = 0

// Common LiDAR layouts.
const (
	// LayoutXYZI is x, y, z, intensity: point_step 16.
	LayoutXYZI = Intensity
	// LayoutXYZIRT is x, y, z, intensity, ring (16), t uint32 ns (20):
	// point_step 24.
	LayoutXYZIRT = Intensity | Ring | TimeNs
	// LayoutVelodyne is x, y, z, intensity, ring (16), time float32 s (20):
	// point_step 24.
	LayoutVelodyne = Intensity | Ring | TimeSec
)

// Fields returns the point fields of the layout and its point step.
func (l Layout) Fields() ([]formats.PointField, int) {
	fields := []formats.PointField{
		{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
		{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
		{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
	}
	off := 12
	add := func(name string, t formats.PointType) {
		sz := t.Size()
		off = (off + sz - 1) / sz * sz
		fields = append(fields, formats.PointField{Name: name, Offset: off, Type: t, Count: 1})
		off += sz
	}
	if l&Intensity != 0 {
		add("intensity", formats.PointFloat32)
	}
	if l&Ring != 0 {
		add("ring", formats.PointUint16)
	}
	if l&TimeNs != 0 {
		add("t", formats.PointUint32)
	}
	if l&TimeSec != 0 {
		add("time", formats.PointFloat32)
	}
	return fields, (off + 3) / 4 * 4
}

// PackPoints packs struct-of-arrays points into a little-endian, unordered
// (height 1) PointCloud2 layout. The number of points is len(p.X); a
// column that is shorter (or nil) is written as zeros. Dense is true when
// every x, y, z is finite. A nil p gives an empty cloud.
func PackPoints(p *formats.Points, layout Layout) *formats.PointCloud {
	fields, step := layout.Fields()
	n := 0
	if p != nil {
		n = len(p.X)
	} else {
		p = &formats.Points{}
	}
	offI, offR, offT, offTime := -1, -1, -1, -1
	for _, f := range fields[3:] {
		switch f.Name {
		case "intensity":
			offI = f.Offset
		case "ring":
			offR = f.Offset
		case "t":
			offT = f.Offset
		case "time":
			offTime = f.Offset
		}
	}
	data := make([]byte, n*step)
	dense := true
	le := binary.LittleEndian
	for i := range n {
		d := data[i*step : (i+1)*step]
		x, y, z := p.X[i], at(p.Y, i), at(p.Z, i)
		if !finite(x) || !finite(y) || !finite(z) {
			dense = false
		}
		le.PutUint32(d[0:], math.Float32bits(x))
		le.PutUint32(d[4:], math.Float32bits(y))
		le.PutUint32(d[8:], math.Float32bits(z))
		if offI >= 0 {
			le.PutUint32(d[offI:], math.Float32bits(at(p.Intensity, i)))
		}
		if offR >= 0 && i < len(p.Ring) {
			le.PutUint16(d[offR:], p.Ring[i])
		}
		if offT >= 0 && i < len(p.TimeOffset) {
			le.PutUint32(d[offT:], uint32(min(max(p.TimeOffset[i], 0), math.MaxUint32)))
		}
		if offTime >= 0 && i < len(p.TimeOffset) {
			le.PutUint32(d[offTime:], math.Float32bits(float32(float64(p.TimeOffset[i])/1e9)))
		}
	}
	return &formats.PointCloud{
		Width: n, Height: 1, Fields: fields, PointStep: step, RowStep: n * step, Dense: dense, Data: data,
	}
}

// RadarFields is the radar-as-PointCloud2 layout PackRadar writes:
// float32 x, y, z, doppler (m/s), rcs (dBsm), point_step 20.
var RadarFields = []formats.PointField{
	{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
	{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
	{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
	{Name: "doppler", Offset: 12, Type: formats.PointFloat32, Count: 1},
	{Name: "rcs", Offset: 16, Type: formats.PointFloat32, Count: 1},
}

// PackRadar packs a radar scan as a PointCloud2 with RadarFields. Points
// come from X, Y, Z when X is set, otherwise from Range, Azimuth,
// Elevation (x = r·cos el·cos az, y = r·cos el·sin az, z = r·sin el).
// Short or nil columns are written as zeros.
func PackRadar(r *formats.RadarScan) *formats.PointCloud {
	const step = 20
	n := 0
	if r != nil {
		n = r.Len()
	} else {
		r = &formats.RadarScan{}
	}
	cart := len(r.X) > 0
	data := make([]byte, n*step)
	dense := true
	le := binary.LittleEndian
	for i := range n {
		var x, y, z float32
		if cart {
			x, y, z = at(r.X, i), at(r.Y, i), at(r.Z, i)
		} else {
			rng, az, el := float64(at(r.Range, i)), float64(at(r.Azimuth, i)), float64(at(r.Elevation, i))
			x = float32(rng * math.Cos(el) * math.Cos(az))
			y = float32(rng * math.Cos(el) * math.Sin(az))
			z = float32(rng * math.Sin(el))
		}
		if !finite(x) || !finite(y) || !finite(z) {
			dense = false
		}
		d := data[i*step:]
		le.PutUint32(d[0:], math.Float32bits(x))
		le.PutUint32(d[4:], math.Float32bits(y))
		le.PutUint32(d[8:], math.Float32bits(z))
		le.PutUint32(d[12:], math.Float32bits(at(r.Doppler, i)))
		le.PutUint32(d[16:], math.Float32bits(at(r.RCS, i)))
	}
	fields := make([]formats.PointField, len(RadarFields))
	copy(fields, RadarFields)
	return &formats.PointCloud{
		Width: n, Height: 1, Fields: fields, PointStep: step, RowStep: n * step, Dense: dense, Data: data,
	}
}

func finite(v float32) bool {
	f := float64(v)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

package formats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrNoXYZ is returned by PointCloud.Points when the cloud lacks x, y or z.
var ErrNoXYZ = errors.New("formats: point cloud has no x/y/z fields")

// timeFieldNames are the per-point time field names found in the wild
// (Ouster "t" in ns, Velodyne/Hesai "time"/"timestamp" in s, Livox
// "offset_time" in ns).
var timeFieldNames = []string{"t", "time", "timestamp", "time_offset", "offset_time"}

// Points converts the packed cloud into struct-of-arrays columns.
//
// Per-point time is read from the first field named t, time, timestamp,
// time_offset or offset_time. Integer time fields are taken as ns; float
// fields as seconds relative to the stamp. Absolute float times (larger than
// 1e6 s) are made relative to the cloud's minimum time.
func (p *PointCloud) Points() (*Points, error) {
	n := p.Len()
	if n < 0 || p.PointStep <= 0 && n > 0 {
		return nil, fmt.Errorf("formats: bad point cloud layout (%d points, step %d)", n, p.PointStep)
	}
	if p.Height > 1 && p.RowStep < p.Width*p.PointStep {
		return nil, fmt.Errorf("formats: row step %d shorter than width %d × point step %d", p.RowStep, p.Width, p.PointStep)
	}
	need := 0
	if n > 0 {
		rowStep := p.RowStep
		if p.Height <= 1 {
			rowStep = p.Width * p.PointStep
		}
		need = (p.Height-1)*rowStep + p.Width*p.PointStep
	}
	if len(p.Data) < need {
		return nil, fmt.Errorf("formats: point data has %d bytes, layout needs %d", len(p.Data), need)
	}
	fx, okx := p.Field("x")
	fy, oky := p.Field("y")
	fz, okz := p.Field("z")
	if !okx || !oky || !okz {
		return nil, ErrNoXYZ
	}
	out := &Points{}
	var err error
	if out.X, err = p.column(fx); err != nil {
		return nil, err
	}
	if out.Y, err = p.column(fy); err != nil {
		return nil, err
	}
	if out.Z, err = p.column(fz); err != nil {
		return nil, err
	}
	for _, name := range []string{"intensity", "reflectivity", "i"} {
		if f, ok := p.Field(name); ok {
			if out.Intensity, err = p.column(f); err != nil {
				return nil, err
			}
			break
		}
	}
	for _, name := range []string{"ring", "channel", "laser_id", "line"} {
		if f, ok := p.Field(name); ok {
			col, err := p.column(f)
			if err != nil {
				return nil, err
			}
			out.Ring = make([]uint16, len(col))
			for i, v := range col {
				out.Ring[i] = uint16(v)
			}
			break
		}
	}
	for _, name := range timeFieldNames {
		if f, ok := p.Field(name); ok {
			if out.TimeOffset, err = p.timeColumn(f); err != nil {
				return nil, err
			}
			break
		}
	}
	return out, nil
}

func (p *PointCloud) check(f PointField) error {
	sz := f.Type.Size()
	if sz == 0 {
		return fmt.Errorf("formats: field %q has unknown type %d", f.Name, f.Type)
	}
	if f.Offset < 0 || f.Offset+sz > p.PointStep {
		return fmt.Errorf("formats: field %q at offset %d does not fit point step %d", f.Name, f.Offset, p.PointStep)
	}
	return nil
}

// offset returns the byte offset of point i.
func (p *PointCloud) offset(i int) int {
	if p.Height <= 1 || p.Width == 0 {
		return i * p.PointStep
	}
	r, c := i/p.Width, i%p.Width
	return r*p.RowStep + c*p.PointStep
}

func (p *PointCloud) column(f PointField) ([]float32, error) {
	if err := p.check(f); err != nil {
		return nil, err
	}
	n := p.Len()
	out := make([]float32, n)
	if n == 0 {
		return out, nil
	}
	if f.Type == PointFloat32 && !p.BigEndian && (p.Height <= 1 || p.RowStep == p.Width*p.PointStep) {
		d, step := p.Data[f.Offset:], p.PointStep
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[i*step:]))
		}
		return out, nil
	}
	for i := range out {
		out[i] = float32(p.value(f, p.offset(i)))
	}
	return out, nil
}

func (p *PointCloud) timeColumn(f PointField) ([]int64, error) {
	if err := p.check(f); err != nil {
		return nil, err
	}
	n := p.Len()
	out := make([]int64, n)
	isFloat := f.Type == PointFloat32 || f.Type == PointFloat64
	if !isFloat {
		for i := range out {
			out[i] = int64(p.value(f, p.offset(i)))
		}
		return out, nil
	}
	vals := make([]float64, n)
	minV := math.Inf(1)
	for i := range vals {
		vals[i] = p.value(f, p.offset(i))
		minV = min(minV, vals[i])
	}
	base := 0.0
	if minV > 1e6 { // absolute UNIX seconds: make relative
		base = minV
	}
	for i, v := range vals {
		out[i] = int64(math.Round((v - base) * 1e9))
	}
	return out, nil
}

func (p *PointCloud) value(f PointField, base int) float64 {
	b := p.Data[base+f.Offset:]
	var bo binary.ByteOrder = binary.LittleEndian
	if p.BigEndian {
		bo = binary.BigEndian
	}
	switch f.Type {
	case PointInt8:
		return float64(int8(b[0]))
	case PointUint8:
		return float64(b[0])
	case PointInt16:
		return float64(int16(bo.Uint16(b)))
	case PointUint16:
		return float64(bo.Uint16(b))
	case PointInt32:
		return float64(int32(bo.Uint32(b)))
	case PointUint32:
		return float64(bo.Uint32(b))
	case PointFloat32:
		return float64(math.Float32frombits(bo.Uint32(b)))
	case PointFloat64:
		return math.Float64frombits(bo.Uint64(b))
	}
	return math.NaN()
}

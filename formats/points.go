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
//
// Little-endian clouds whose rows are contiguous (height 1, or row step equal
// to width × point step) take a fast path: one tight loop per field reading
// straight from Data. It yields exactly the values of the per-point generic
// path, which big-endian and row-padded clouds still take.
func (p *PointCloud) Points() (*Points, error) {
	return p.points(true)
}

// points converts the cloud; fast permits the per-field fast path (tests turn
// it off to compare against the generic path).
func (p *PointCloud) points(fast bool) (*Points, error) {
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
	if out.X, err = p.column(fast, fx); err != nil {
		return nil, err
	}
	if out.Y, err = p.column(fast, fy); err != nil {
		return nil, err
	}
	if out.Z, err = p.column(fast, fz); err != nil {
		return nil, err
	}
	for _, name := range []string{"intensity", "reflectivity", "i"} {
		if f, ok := p.Field(name); ok {
			if out.Intensity, err = p.column(fast, f); err != nil {
				return nil, err
			}
			break
		}
	}
	for _, name := range []string{"ring", "channel", "laser_id", "line"} {
		if f, ok := p.Field(name); ok {
			if out.Ring, err = p.ringColumn(fast, f); err != nil {
				return nil, err
			}
			break
		}
	}
	for _, name := range timeFieldNames {
		if f, ok := p.Field(name); ok {
			if out.TimeOffset, err = p.timeColumn(fast, f); err != nil {
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

func (p *PointCloud) column(fast bool, f PointField) ([]float32, error) {
	if err := p.check(f); err != nil {
		return nil, err
	}
	n := p.Len()
	out := make([]float32, n)
	if n == 0 {
		return out, nil
	}
	if fast && p.fastLayout() {
		fastColumn(out, p.Data[f.Offset:], p.PointStep, f.Type)
		return out, nil
	}
	for i := range out {
		out[i] = float32(p.value(f, p.offset(i)))
	}
	return out, nil
}

func (p *PointCloud) timeColumn(fast bool, f PointField) ([]int64, error) {
	if err := p.check(f); err != nil {
		return nil, err
	}
	n := p.Len()
	out := make([]int64, n)
	if fast && n > 0 && p.fastLayout() {
		fastTimeColumn(out, p.Data[f.Offset:], p.PointStep, f.Type)
		return out, nil
	}
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

// ringColumn reads the ring field as uint16, the value the float32 column
// converted with uint16() gives.
func (p *PointCloud) ringColumn(fast bool, f PointField) ([]uint16, error) {
	if fast && p.Len() > 0 && p.fastLayout() && (f.Type == PointUint8 || f.Type == PointUint16) {
		if err := p.check(f); err != nil {
			return nil, err
		}
		out := make([]uint16, p.Len())
		d, step := p.Data[f.Offset:], p.PointStep
		if f.Type == PointUint8 {
			for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
				out[i] = uint16(d[o])
			}
		} else {
			for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
				out[i] = binary.LittleEndian.Uint16(d[o:])
			}
		}
		return out, nil
	}
	col, err := p.column(fast, f)
	if err != nil {
		return nil, err
	}
	out := make([]uint16, len(col))
	for i, v := range col {
		out[i] = uint16(v)
	}
	return out, nil
}

// fastLayout reports whether the fast per-field loops apply: little-endian
// data whose point i starts at byte i × PointStep.
func (p *PointCloud) fastLayout() bool {
	return !p.BigEndian && (p.Height <= 1 || p.RowStep == p.Width*p.PointStep)
}

// fastColumn fills out[i] with the field of type t at d[i*step:], converted
// to float32 as value then float32() would (integers go through float64, so
// the rounding is the generic path's). Float32 fields are copied bit for bit,
// as the float32 fast path always did. The caller has checked the layout: d
// holds len(out) points.
func fastColumn(out []float32, d []byte, step int, t PointType) {
	le := binary.LittleEndian
	switch t {
	case PointInt8:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = float32(int8(d[o]))
		}
	case PointUint8:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = float32(d[o])
		}
	case PointInt16:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = float32(int16(le.Uint16(d[o:])))
		}
	case PointUint16:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = float32(le.Uint16(d[o:]))
		}
	case PointInt32:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = float32(float64(int32(le.Uint32(d[o:]))))
		}
	case PointUint32:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = float32(float64(le.Uint32(d[o:])))
		}
	case PointFloat32:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = math.Float32frombits(le.Uint32(d[o:]))
		}
	case PointFloat64:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = float32(math.Float64frombits(le.Uint64(d[o:])))
		}
	}
}

// fastTimeColumn is timeColumn's fast path: integer fields are ns as they
// stand; float fields are seconds, made relative to their minimum when that
// minimum exceeds 1e6 s, with the generic path's exact expressions (a NaN
// anywhere makes the minimum NaN, so nothing is subtracted).
func fastTimeColumn(out []int64, d []byte, step int, t PointType) {
	le := binary.LittleEndian
	switch t {
	case PointInt8:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(int8(d[o]))
		}
	case PointUint8:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(d[o])
		}
	case PointInt16:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(int16(le.Uint16(d[o:])))
		}
	case PointUint16:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(le.Uint16(d[o:]))
		}
	case PointInt32:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(int32(le.Uint32(d[o:])))
		}
	case PointUint32:
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(le.Uint32(d[o:]))
		}
	case PointFloat32:
		minV := math.Inf(1)
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			minV = min(minV, float64(math.Float32frombits(le.Uint32(d[o:]))))
		}
		base := 0.0
		if minV > 1e6 {
			base = minV
		}
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(math.Round((float64(math.Float32frombits(le.Uint32(d[o:]))) - base) * 1e9))
		}
	case PointFloat64:
		minV := math.Inf(1)
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			minV = min(minV, math.Float64frombits(le.Uint64(d[o:])))
		}
		base := 0.0
		if minV > 1e6 {
			base = minV
		}
		for i, o := 0, 0; i < len(out); i, o = i+1, o+step {
			out[i] = int64(math.Round((math.Float64frombits(le.Uint64(d[o:])) - base) * 1e9))
		}
	}
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

package ros

import (
	"math"
	"unicode/utf16"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/msgdef"
)

// record decodes one value of nd generically.
func (r *reader) record(nd *node, names []string) (*formats.Record, error) {
	rec := &formats.Record{Type: nd.name, Names: names, Values: make([]any, len(nd.fields))}
	if nd.empty {
		return rec, r.skipStruct(nd)
	}
	for i := range nd.fields {
		v, err := r.fieldValue(&nd.fields[i])
		if err != nil {
			return nil, in(err, nd.fields[i].name)
		}
		rec.Values[i] = v
	}
	return rec, nil
}

// fieldValue decodes field f generically.
func (r *reader) fieldValue(f *fnode) (any, error) {
	if f.arr == msgdef.NotArray {
		switch {
		case f.sub != nil:
			return r.record(f.sub, f.sub.names())
		case f.size == 0:
			off, n, err := r.str(f.kind)
			if err != nil {
				return nil, err
			}
			return r.text(f.kind, off, n), nil
		}
		off, _, err := r.field(f)
		if err != nil {
			return nil, err
		}
		return r.scalar(f.kind, off), nil
	}
	off, n, err := r.field(f)
	if err != nil {
		return nil, err
	}
	a := at{b: r.b, be: r.be}
	switch {
	case f.sub != nil:
		out := make([]any, n)
		save := r.off
		r.off = off
		names := f.sub.names()
		for i := range out {
			if out[i], err = r.record(f.sub, names); err != nil {
				return nil, inIndex(err, i)
			}
		}
		r.off = save
		return out, nil
	case f.size == 0:
		out := make([]any, n)
		save := r.off
		r.off = off
		for i := range out {
			so, sn, err := r.str(f.kind)
			if err != nil {
				return nil, inIndex(err, i)
			}
			out[i] = r.text(f.kind, so, sn)
		}
		r.off = save
		return out, nil
	case f.bytes:
		return r.b[off : off+n : off+n], nil
	}
	switch f.kind {
	case msgdef.Float32:
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(a.f32(off + 4*i))
		}
		return out, nil
	case msgdef.Float64:
		out := make([]float64, n)
		for i := range out {
			out[i] = a.f64(off + 8*i)
		}
		return out, nil
	case msgdef.Int8, msgdef.Int16, msgdef.Int32, msgdef.Int64:
		out := make([]int64, n)
		for i := range out {
			out[i] = r.scalar(f.kind, off+i*f.size).(int64)
		}
		return out, nil
	case msgdef.Uint16, msgdef.Uint32, msgdef.Uint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = r.scalar(f.kind, off+i*f.size).(uint64)
		}
		return out, nil
	}
	out := make([]any, n) // bool, time, duration
	for i := range out {
		out[i] = r.scalar(f.kind, off+i*f.size)
	}
	return out, nil
}

// scalar reads one primitive of kind k at off (bounds already checked).
func (r *reader) scalar(k msgdef.Kind, off int) any {
	a := at{b: r.b, be: r.be}
	switch k {
	case msgdef.Bool:
		return r.b[off] != 0
	case msgdef.Int8:
		return int64(int8(r.b[off]))
	case msgdef.Uint8:
		return uint64(r.b[off])
	case msgdef.Int16:
		return int64(int16(a.u16(off)))
	case msgdef.Uint16:
		return uint64(a.u16(off))
	case msgdef.Int32:
		return int64(int32(a.u32(off)))
	case msgdef.Uint32:
		return uint64(a.u32(off))
	case msgdef.Int64:
		return int64(a.u64(off))
	case msgdef.Uint64:
		return a.u64(off)
	case msgdef.Float32:
		return float64(a.f32(off))
	case msgdef.Float64:
		return a.f64(off)
	case msgdef.Time:
		return &formats.Record{Type: "time", Names: timeNames, Values: []any{uint64(a.u32(off)), uint64(a.u32(off + 4))}}
	case msgdef.Duration:
		return &formats.Record{Type: "duration", Names: timeNames, Values: []any{int64(int32(a.u32(off))), int64(int32(a.u32(off + 4)))}}
	}
	return math.NaN()
}

var timeNames = []string{"sec", "nsec"}[:2:2]

// text converts a decoded string (n bytes, or n UTF-16 units) to Go.
func (r *reader) text(k msgdef.Kind, off, n int) string {
	if k != msgdef.WString {
		return string(r.b[off : off+n])
	}
	a := at{b: r.b, be: r.be}
	u := make([]uint16, n)
	for i := range u {
		u[i] = a.u16(off + 2*i)
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// names returns the field names of nd, shared by all records of the type
// (capacity-capped so Record.Add copies instead of writing into it).
func (nd *node) names() []string {
	return nd.fieldNames[:len(nd.fieldNames):len(nd.fieldNames)]
}

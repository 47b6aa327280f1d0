package ros

import (
	"encoding/binary"
	"math"

	"github.com/rigsync/rigsync/formats/msgdef"
)

// A projection marks, in a compiled type, the fields a typed path needs:
// the walk records where each of them lies (a loc per slot) and skips the
// rest, so no value is boxed and nothing is allocated per primitive.

// loc is where a bound field lies in the payload: the offset of its first
// data byte and its element count (string length for strings).
type loc struct{ off, n int }

// proj is a projection of one struct type.
type proj struct {
	nd   *node
	acts []act
	// flat lists, per alignment mode, where every bound field of a
	// fixed-layout type lies relative to the struct start (nil when the
	// type's layout is not fixed): the walk then records all of them and
	// skips the struct in one step.
	flat [3][]flatLoc
}

// flatLoc is a bound field at a static offset in a fixed-layout struct.
type flatLoc struct{ slot, rel, n int }

// prepare computes the flat layouts of p and its sub-projections; call it
// once binding is complete.
func (p *proj) prepare() {
	for i := range p.acts {
		if p.acts[i].sub != nil {
			p.acts[i].sub.prepare()
		}
	}
	for mode := range p.flat {
		if !p.nd.lay[mode].fixed || p.nd.empty {
			continue
		}
		flat, ok := p.flatten(mode, 0, []flatLoc{})
		if ok {
			p.flat[mode] = flat
		}
	}
}

func (p *proj) flatten(mode, o int, out []flatLoc) ([]flatLoc, bool) {
	for i := range p.nd.fields {
		f := &p.nd.fields[i]
		a := &p.acts[i]
		count := 1
		if f.arr == msgdef.Fixed {
			count = f.n
		}
		if f.sub != nil {
			l := f.sub.lay[mode]
			if !l.fixed || o%l.align != 0 {
				return nil, false
			}
			switch {
			case a.sub != nil:
				var ok bool
				if out, ok = a.sub.flatten(mode, o, out); !ok {
					return nil, false
				}
			case a.slot >= 0:
				out = append(out, flatLoc{a.slot, o, count})
			}
			o += count * l.size
			continue
		}
		if count > 0 {
			al := f.al[mode]
			o = (o + al - 1) / al * al
		}
		if a.slot >= 0 {
			out = append(out, flatLoc{a.slot, o, count})
		}
		o += count * f.size
	}
	return out, o == p.nd.lay[mode].size
}

// act is what the walk does with one field: descend (sub) or record
// (slot >= 0); otherwise skip.
type act struct {
	slot int
	sub  *proj
}

func newProj(nd *node) *proj {
	p := &proj{nd: nd, acts: make([]act, len(nd.fields))}
	for i := range p.acts {
		p.acts[i].slot = -1
	}
	return p
}

// walk advances over one value of p's type, recording bound fields.
func (r *reader) walk(p *proj, locs []loc) error {
	nd := p.nd
	if flat := p.flat[r.mode]; flat != nil {
		if l := nd.lay[r.mode]; (r.off-r.origin)&(l.align-1) == 0 {
			if err := r.need(l.size); err != nil {
				return err
			}
			for _, fl := range flat {
				locs[fl.slot] = loc{r.off + fl.rel, fl.n}
			}
			r.off += l.size
			return nil
		}
	}
	if nd.empty {
		return r.skipStruct(nd)
	}
	for i := range nd.fields {
		a := &p.acts[i]
		if a.sub != nil {
			if err := r.walk(a.sub, locs); err != nil {
				return in(err, nd.fields[i].name)
			}
			continue
		}
		off, n, err := r.field(&nd.fields[i])
		if err != nil {
			return in(err, nd.fields[i].name)
		}
		if a.slot >= 0 {
			locs[a.slot] = loc{off, n}
		}
	}
	return nil
}

// binder builds a projection by binding field paths to slots.
type binder struct {
	root  *proj
	slots []*fnode
}

func newBinder(nd *node) *binder { return &binder{root: newProj(nd)} }

// field finds a field by path without binding it.
func (b *binder) field(path ...string) *fnode {
	nd := b.root.nd
	var f *fnode
	for i, name := range path {
		f = nd.field(name)
		if f == nil {
			return nil
		}
		if i < len(path)-1 {
			if f.sub == nil || f.arr != msgdef.NotArray {
				return nil
			}
			nd = f.sub
		}
	}
	return f
}

// bind binds the field at path and returns its slot, or -1 when the path
// does not exist. Intermediate fields must be single structs.
func (b *binder) bind(path ...string) int {
	if b.field(path...) == nil {
		return -1
	}
	p := b.root
	for i, name := range path {
		idx := p.nd.index(name)
		a := &p.acts[idx]
		f := &p.nd.fields[idx]
		if i == len(path)-1 {
			if a.sub != nil {
				return -1 // already descended into: cannot also record
			}
			if a.slot < 0 {
				a.slot = len(b.slots)
				b.slots = append(b.slots, f)
			}
			return a.slot
		}
		if a.slot >= 0 {
			return -1
		}
		if a.sub == nil {
			a.sub = newProj(f.sub)
		}
		p = a.sub
	}
	return -1
}

// first binds the first path that exists.
func (b *binder) first(paths ...[]string) int {
	for _, p := range paths {
		if s := b.bind(p...); s >= 0 {
			return s
		}
	}
	return -1
}

func (nd *node) index(name string) int {
	for i := range nd.fields {
		if nd.fields[i].name == name {
			return i
		}
	}
	return -1
}

func (nd *node) field(name string) *fnode {
	if i := nd.index(name); i >= 0 {
		return &nd.fields[i]
	}
	return nil
}

// view reads bound values after a walk.
type view struct {
	a     at
	locs  []loc
	slots []*fnode
	sc    *scratch
}

// f reads a numeric (or bool) slot as float64; 0 when unbound.
func (v *view) f(s int) float64 {
	if s < 0 {
		return 0
	}
	l := v.locs[s]
	if l.n == 0 {
		return 0
	}
	return v.num(v.slots[s].kind, l.off)
}

func (v *view) num(k msgdef.Kind, off int) float64 {
	switch k {
	case msgdef.Float64:
		return v.a.f64(off)
	case msgdef.Float32:
		return float64(v.a.f32(off))
	}
	return float64(v.ival(k, off))
}

// i reads an integer (or bool) slot; 0 when unbound.
func (v *view) i(s int) int64 {
	if s < 0 {
		return 0
	}
	l := v.locs[s]
	if l.n == 0 {
		return 0
	}
	k := v.slots[s].kind
	if k == msgdef.Float32 || k == msgdef.Float64 {
		return int64(v.num(k, l.off))
	}
	return v.ival(k, l.off)
}

func (v *view) ival(k msgdef.Kind, off int) int64 {
	b := v.a.b
	switch k {
	case msgdef.Bool, msgdef.Uint8:
		return int64(b[off])
	case msgdef.Int8:
		return int64(int8(b[off]))
	case msgdef.Int16:
		return int64(int16(v.a.u16(off)))
	case msgdef.Uint16:
		return int64(v.a.u16(off))
	case msgdef.Int32:
		return int64(int32(v.a.u32(off)))
	case msgdef.Uint32:
		return int64(v.a.u32(off))
	case msgdef.Int64, msgdef.Uint64:
		return int64(v.a.u64(off))
	}
	return 0
}

// str reads a string slot.
func (v *view) str(s int) string {
	if s < 0 || v.slots[s].kind != msgdef.String || v.slots[s].arr != msgdef.NotArray {
		return ""
	}
	l := v.locs[s]
	return v.sc.intern(v.a.b[l.off : l.off+l.n])
}

// bytes returns a uint8 array slot, aliasing the payload.
func (v *view) bytes(s int) []byte {
	if s < 0 || !v.slots[s].bytes {
		return nil
	}
	l := v.locs[s]
	return v.a.b[l.off : l.off+l.n : l.off+l.n]
}

// floats copies a numeric array slot into dst and returns the count copied.
func (v *view) floats(s int, dst []float64) int {
	if s < 0 {
		return 0
	}
	f := v.slots[s]
	if f.size == 0 || f.arr == msgdef.NotArray {
		return 0
	}
	l := v.locs[s]
	n := min(l.n, len(dst))
	if f.kind == msgdef.Float64 {
		b := v.a.b[l.off : l.off+8*n]
		for i := range dst[:n] {
			if v.a.be {
				dst[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
			} else {
				dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			}
		}
		return n
	}
	for i := 0; i < n; i++ {
		dst[i] = v.num(f.kind, l.off+i*f.size)
	}
	return n
}

// stampSlots locates a stamp: a ROS 1 time (one slot) or a struct with
// sec/nanosec (ROS 2) or secs/nsecs fields.
type stampSlots struct{ t, sec, nsec int }

func bindStamp(b *binder, path ...string) (stampSlots, bool) {
	s := stampSlots{-1, -1, -1}
	f := b.field(path...)
	if f == nil || f.arr != msgdef.NotArray {
		return s, false
	}
	if f.kind == msgdef.Time {
		s.t = b.bind(path...)
		return s, s.t >= 0
	}
	if f.sub == nil {
		return s, false
	}
	s.sec = b.first(append(path[:len(path):len(path)], "sec"), append(path[:len(path):len(path)], "secs"))
	s.nsec = b.first(append(path[:len(path):len(path)], "nanosec"), append(path[:len(path):len(path)], "nsec"), append(path[:len(path):len(path)], "nsecs"))
	return s, s.sec >= 0 && s.nsec >= 0
}

func (v *view) stamp(s stampSlots) int64 {
	if s.t >= 0 {
		off := v.locs[s.t].off
		return int64(v.a.u32(off))*1e9 + int64(v.a.u32(off+4))
	}
	return v.i(s.sec)*1e9 + v.i(s.nsec)
}

// headerSlots locates header.stamp and header.frame_id.
type headerSlots struct {
	ok    bool
	stamp stampSlots
	frame int
}

func bindHeader(b *binder, path ...string) headerSlots {
	h := headerSlots{frame: -1}
	f := b.field(path...)
	if f == nil || f.sub == nil || f.arr != msgdef.NotArray {
		return h
	}
	h.stamp, h.ok = bindStamp(b, append(path[:len(path):len(path)], "stamp")...)
	h.frame = b.bind(append(path[:len(path):len(path)], "frame_id")...)
	return h
}

package ros

import (
	"github.com/rigsync/rigsync/formats/msgdef"
)

// skipStruct advances over one value of nd.
func (r *reader) skipStruct(nd *node) error {
	if nd.empty {
		if r.mode != alignNone {
			_, err := r.u8() // structure_needs_at_least_one_member
			return err
		}
		return nil
	}
	for i := range nd.fields {
		if _, _, err := r.field(&nd.fields[i]); err != nil {
			return in(err, nd.fields[i].name)
		}
	}
	return nil
}

// skipStructs advances over cnt consecutive values of nd, in one step when
// the type has a fixed, repeating layout.
func (r *reader) skipStructs(nd *node, cnt int) error {
	if cnt == 0 {
		return nil
	}
	if l := nd.lay[r.mode]; l.fixed && l.size%l.align == 0 && (r.off-r.origin)%l.align == 0 {
		if err := r.needN(cnt, l.size); err != nil {
			return err
		}
		r.off += cnt * l.size
		return nil
	}
	for i := 0; i < cnt; i++ {
		if err := r.skipStruct(nd); err != nil {
			return inIndex(err, i)
		}
	}
	return nil
}

// str advances over one string and returns where its text starts and its
// length (without the CDR NUL; in 16-bit units for wstring).
func (r *reader) str(k msgdef.Kind) (off, n int, err error) {
	if k == msgdef.WString {
		cnt, err := r.count(2)
		if err != nil {
			return 0, 0, err
		}
		off = r.off
		r.off += 2 * cnt
		return off, cnt, nil
	}
	l, err := r.count(1)
	if err != nil {
		return 0, 0, err
	}
	off = r.off
	r.off += l
	if r.mode != alignNone && l > 0 && r.b[off+l-1] == 0 {
		l--
	}
	return off, l, nil
}

// field advances over field f and returns the offset of its first data
// byte (after alignment and any count) and its element count (string
// length for a string).
func (r *reader) field(f *fnode) (off, n int, err error) {
	switch {
	case f.sub != nil:
		switch f.arr {
		case msgdef.NotArray:
			off = r.off
			return off, 1, r.skipStructs(f.sub, 1)
		case msgdef.Fixed:
			if err := r.needN(f.n, max(1, f.sub.minSize)); err != nil {
				return 0, 0, err
			}
			off = r.off
			return off, f.n, r.skipStructs(f.sub, f.n)
		default:
			cnt, err := r.count(f.sub.minSize)
			if err != nil {
				return 0, 0, err
			}
			off = r.off
			return off, cnt, r.skipStructs(f.sub, cnt)
		}
	case f.size == 0: // string, wstring
		switch f.arr {
		case msgdef.NotArray:
			return r.str(f.kind)
		case msgdef.Fixed:
			n = f.n
			if err := r.needN(n, 4); err != nil {
				return 0, 0, err
			}
		default:
			if n, err = r.count(4); err != nil {
				return 0, 0, err
			}
		}
		off = r.off
		for i := 0; i < n; i++ {
			if _, _, err := r.str(f.kind); err != nil {
				return 0, 0, inIndex(err, i)
			}
		}
		return off, n, nil
	default:
		switch f.arr {
		case msgdef.NotArray:
			n = 1
		case msgdef.Fixed:
			n = f.n
		default:
			if n, err = r.count(f.size); err != nil {
				return 0, 0, err
			}
		}
		if n > 0 {
			if err := r.alignTo(f.al[r.mode]); err != nil {
				return 0, 0, err
			}
		}
		if err := r.needN(n, f.size); err != nil {
			return 0, 0, err
		}
		off = r.off
		r.off += n * f.size
		return off, n, nil
	}
}

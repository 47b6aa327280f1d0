package ros

import (
	"fmt"

	"github.com/rigsync/rigsync/formats/msgdef"
)

// maxMin caps computed minimum sizes so products cannot overflow.
const maxMin = 1 << 40

// node is the compiled plan of one message type.
type node struct {
	name   string
	fields []fnode
	// fieldNames are the field names in order, shared by generic records.
	fieldNames []string
	// empty is a type without fields: one dummy byte in CDR, nothing in ROS 1.
	empty bool
	// minSize is the least number of bytes one value occupies.
	minSize int
	// lay is the fixed layout per alignment mode (see layout).
	lay [3]layout
}

// layout describes a struct whose size does not depend on the data: when
// it starts at an offset that is a multiple of align, it takes size bytes.
type layout struct {
	fixed bool
	size  int
	align int
}

// fnode is one compiled field.
type fnode struct {
	name string
	kind msgdef.Kind
	arr  msgdef.ArrayKind
	// n is the fixed array length.
	n   int
	sub *node
	// bytes marks uint8/byte/char arrays, decoded as []byte.
	bytes bool
	// size is the wire size of one primitive element (0 for strings,
	// complex types).
	size int
	// al is the alignment of a primitive element per alignment mode.
	al [3]int
}

// minElem is the least wire size of one element of f.
func (f *fnode) minElem() int {
	switch {
	case f.sub != nil:
		return f.sub.minSize
	case f.size > 0:
		return f.size
	}
	return 4 // string / wstring length
}

// compile builds the plan of every type reachable from the root.
func compile(s *msgdef.Schema, cdr bool) (*node, error) {
	nodes := make(map[string]*node, len(s.Types))
	var build func(name string) (*node, error)
	build = func(name string) (*node, error) {
		if n, ok := nodes[name]; ok {
			if n.fields == nil && !n.empty {
				return nil, fmt.Errorf("ros: recursive type %s", name)
			}
			return n, nil
		}
		m, ok := s.Types[name]
		if !ok {
			return nil, fmt.Errorf("ros: type %s is not defined", name)
		}
		n := &node{name: name}
		nodes[name] = n
		fields := make([]fnode, 0, len(m.Fields))
		for _, f := range m.Fields {
			fn := fnode{name: f.Name, kind: f.Type.Kind, arr: f.Type.Array, n: f.Type.Len, size: f.Type.Kind.Size()}
			if fn.arr != msgdef.Fixed {
				fn.n = 0
			}
			for mode := range fn.al {
				fn.al[mode] = alignOf(mode, fn.size)
				if fn.kind == msgdef.Time || fn.kind == msgdef.Duration {
					fn.al[mode] = alignOf(mode, 4)
				}
				if fn.al[mode] < 1 {
					fn.al[mode] = 1
				}
			}
			switch f.Type.Kind {
			case msgdef.Complex:
				sub, err := build(f.Type.Name)
				if err != nil {
					return nil, err
				}
				fn.sub = sub
				fn.size = 0
			case msgdef.Uint8, msgdef.Int8:
				fn.bytes = f.Type.Kind == msgdef.Uint8 || f.Type.Name == "byte" || f.Type.Name == "char"
			case msgdef.WString:
				if !cdr {
					return nil, fmt.Errorf("ros: %s.%s: wstring in a ROS 1 definition", name, f.Name)
				}
			}
			fields = append(fields, fn)
			n.fieldNames = append(n.fieldNames, f.Name)
		}
		n.fields = fields
		n.empty = len(fields) == 0
		n.minSize = minSize(n, cdr)
		for mode := range n.lay {
			n.lay[mode] = fixedLayout(n, mode)
		}
		return n, nil
	}
	return build(s.Root)
}

func minSize(n *node, cdr bool) int {
	if n.empty {
		if cdr {
			return 1
		}
		return 0
	}
	total := 0
	for i := range n.fields {
		f := &n.fields[i]
		var s int
		switch f.arr {
		case msgdef.NotArray:
			s = f.minElem()
		case msgdef.Fixed:
			s = f.n * f.minElem()
			if f.n > 0 && s/f.n != f.minElem() {
				s = maxMin
			}
		case msgdef.Sequence:
			s = 4
		}
		total += s
		if total > maxMin {
			total = maxMin
		}
	}
	return total
}

// fixedLayout computes the layout of n when all its fields have a fixed
// size and a layout that repeats in arrays.
func fixedLayout(n *node, mode int) layout {
	if n.empty {
		return layout{fixed: true, size: n.minSize, align: 1}
	}
	off, maxA := 0, 1
	for i := range n.fields {
		f := &n.fields[i]
		count := 1
		switch f.arr {
		case msgdef.Sequence:
			return layout{}
		case msgdef.Fixed:
			count = f.n
		}
		switch {
		case f.sub != nil:
			l := f.sub.lay[mode]
			if !l.fixed || off%l.align != 0 || l.size%l.align != 0 {
				return layout{}
			}
			if l.align > maxA {
				maxA = l.align
			}
			off += count * l.size
		case f.kind.Primitive() || f.kind == msgdef.Time || f.kind == msgdef.Duration:
			size := f.size
			a := alignOf(mode, size)
			if f.kind == msgdef.Time || f.kind == msgdef.Duration {
				a = alignOf(mode, 4)
			}
			if count > 0 {
				off = (off + a - 1) / a * a
			}
			if a > maxA {
				maxA = a
			}
			off += count * size
		default:
			return layout{}
		}
		if off > maxMin {
			return layout{}
		}
	}
	return layout{fixed: true, size: off, align: maxA}
}

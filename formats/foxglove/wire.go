package foxglove

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/rigsync/rigsync/formats"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxDepth bounds message nesting, in protobuf and JSON alike.
const maxDepth = 100

var errDepth = errors.New("nesting deeper than 100 levels")

// plan is a message descriptor compiled for protowire reading and writing:
// its fields in declaration order with an index by number.
type plan struct {
	name   string
	names  []string // field names, shared by the Records decoded (len == cap)
	fields []fieldPlan
	small  []int32 // field index+1 by number, for numbers < len(small)
	large  map[protowire.Number]int
}

// fieldPlan is one field of a plan.
type fieldPlan struct {
	name     string
	num      protowire.Number
	kind     protoreflect.Kind
	list     bool
	presence bool // explicit presence: nil when unset
	def      any  // value when unset (implicit presence)
	sub      *plan
}

// planCache compiles each message descriptor once, recursive types included.
type planCache struct {
	mu sync.Mutex
	m  map[protoreflect.FullName]*plan
}

func newPlanCache() *planCache { return &planCache{m: map[protoreflect.FullName]*plan{}} }

func (c *planCache) get(md protoreflect.MessageDescriptor) *plan {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.build(md)
}

func (c *planCache) build(md protoreflect.MessageDescriptor) *plan {
	if p, ok := c.m[md.FullName()]; ok {
		return p
	}
	p := &plan{name: string(md.FullName())}
	c.m[md.FullName()] = p
	fds := md.Fields()
	maxSmall := 0
	for i := 0; i < fds.Len(); i++ {
		if n := int(fds.Get(i).Number()); n < 256 && n+1 > maxSmall {
			maxSmall = n + 1
		}
	}
	p.small = make([]int32, maxSmall)
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		f := fieldPlan{
			name:     string(fd.Name()),
			num:      fd.Number(),
			kind:     fd.Kind(),
			list:     fd.IsList() || fd.IsMap(),
			presence: fd.HasPresence(),
		}
		if f.kind == protoreflect.MessageKind || f.kind == protoreflect.GroupKind {
			f.sub = c.build(fd.Message())
		}
		if !f.list && !f.presence {
			f.def = scalarDefault(fd)
		}
		p.fields = append(p.fields, f)
		p.names = append(p.names, f.name)
		if int(f.num) < len(p.small) {
			p.small[f.num] = int32(i + 1)
		} else {
			if p.large == nil {
				p.large = map[protowire.Number]int{}
			}
			p.large[f.num] = i
		}
	}
	p.names = slices.Clip(p.names)
	return p
}

func scalarDefault(fd protoreflect.FieldDescriptor) any {
	v := fd.Default()
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.EnumKind:
		return int64(v.Enum())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float()
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return []byte(nil)
	}
	return nil
}

func (p *plan) index(num protowire.Number) (int, bool) {
	if int(num) < len(p.small) {
		i := p.small[num]
		return int(i) - 1, i > 0
	}
	i, ok := p.large[num]
	return i, ok
}

// only returns a plan reading just the named top-level fields of p
// (sub-messages with their full plans): the others are skipped as
// unknown fields are, by their wire length.
func (p *plan) only(names []string) *plan {
	q := &plan{name: p.name}
	for _, f := range p.fields {
		if slices.Contains(names, f.name) {
			q.fields = append(q.fields, f)
			q.names = append(q.names, f.name)
		}
	}
	q.names = slices.Clip(q.names)
	for i, f := range q.fields {
		if f.num < 256 {
			if int(f.num) >= len(q.small) {
				q.small = append(q.small, make([]int32, int(f.num)+1-len(q.small))...)
			}
			q.small[f.num] = int32(i + 1)
		} else {
			if q.large == nil {
				q.large = map[protowire.Number]int{}
			}
			q.large[f.num] = i
		}
	}
	return q
}

// field returns the plan of the named field.
func (p *plan) field(name string) (*fieldPlan, bool) {
	for i := range p.fields {
		if p.fields[i].name == name {
			return &p.fields[i], true
		}
	}
	return nil, false
}

// wireType is the wire type a non-packed value of kind k uses.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind,
		protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		return protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.BytesType
}

// isPackable reports whether repeated fields of kind k may be packed.
func isPackable(k protoreflect.Kind) bool {
	t := wireType(k)
	return t == protowire.VarintType || t == protowire.Fixed32Type || t == protowire.Fixed64Type
}

// scalar converts a raw varint/fixed value to the Record kind of k:
// bool, int64, uint64 or float64.
func scalar(k protoreflect.Kind, v uint64) any {
	switch k {
	case protoreflect.BoolKind:
		return v != 0
	case protoreflect.EnumKind, protoreflect.Int32Kind:
		return int64(int32(v))
	case protoreflect.Int64Kind:
		return int64(v)
	case protoreflect.Sint32Kind:
		return int64(int32(protowire.DecodeZigZag(v & math.MaxUint32)))
	case protoreflect.Sint64Kind:
		return protowire.DecodeZigZag(v)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return uint64(uint32(v))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v
	case protoreflect.Sfixed32Kind:
		return int64(int32(uint32(v)))
	case protoreflect.Sfixed64Kind:
		return int64(v)
	case protoreflect.FloatKind:
		return float64(math.Float32frombits(uint32(v)))
	case protoreflect.DoubleKind:
		return math.Float64frombits(v)
	}
	return nil
}

// appendScalar appends a scalar to the list value of its kind: []float64,
// []int64, []uint64, or []any for bools.
func appendScalar(list any, k protoreflect.Kind, v uint64) any {
	switch x := scalar(k, v).(type) {
	case float64:
		l, _ := list.([]float64)
		return append(l, x)
	case int64:
		l, _ := list.([]int64)
		return append(l, x)
	case uint64:
		l, _ := list.([]uint64)
		return append(l, x)
	default:
		l, _ := list.([]any)
		return append(l, x)
	}
}

// emptyList is the value of an unset repeated field.
func emptyList(k protoreflect.Kind) any {
	if isPackable(k) {
		switch scalar(k, 0).(type) {
		case float64:
			return []float64{}
		case int64:
			return []int64{}
		case uint64:
			return []uint64{}
		}
	}
	return []any{}
}

// decode reads a protobuf message into a Record with every field of the
// descriptor in declaration order. Bytes fields alias b. Fields with a wire
// type that does not match their kind are skipped as unknown, as the
// protobuf runtime does.
func (p *plan) decode(b []byte, depth int) (*formats.Record, error) {
	r := &formats.Record{Type: p.name, Names: p.names, Values: make([]any, len(p.fields))}
	if err := p.merge(r.Values, b, depth); err != nil {
		return nil, err
	}
	for i := range p.fields {
		f := &p.fields[i]
		if r.Values[i] != nil {
			continue
		}
		switch {
		case f.list:
			r.Values[i] = emptyList(f.kind)
		case !f.presence:
			r.Values[i] = f.def
		}
	}
	return r, nil
}

// merge applies the fields of b to vals, with protobuf merge semantics: the
// last scalar wins, lists append, messages merge.
func (p *plan) merge(vals []any, b []byte, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("foxglove: %s: %w", p.name, errDepth)
	}
	total := len(b)
	for len(b) > 0 {
		off := total - len(b)
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("foxglove: %s: bad tag at offset %d: %w", p.name, off, protowire.ParseError(n))
		}
		b = b[n:]
		i, known := p.index(num)
		var f *fieldPlan
		if known {
			f = &p.fields[i]
			want := wireType(f.kind)
			if typ != want && !(f.list && typ == protowire.BytesType && isPackable(f.kind)) {
				known = false
			}
		}
		if !known {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("foxglove: %s: field %d at offset %d: %w", p.name, num, off, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		var err error
		n, err = p.apply(f, &vals[i], typ, b, depth)
		if err != nil {
			return fmt.Errorf("foxglove: %s: field %s (%d) at offset %d: %w", p.name, f.name, num, off, err)
		}
		b = b[n:]
	}
	return nil
}

// apply reads one value of field f from b (after the tag) into *v and
// returns the bytes consumed.
func (p *plan) apply(f *fieldPlan, v *any, typ protowire.Type, b []byte, depth int) (int, error) {
	switch typ {
	case protowire.VarintType:
		x, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return 0, protowire.ParseError(n)
		}
		p.setScalar(f, v, x)
		return n, nil
	case protowire.Fixed32Type:
		x, n := protowire.ConsumeFixed32(b)
		if n < 0 {
			return 0, protowire.ParseError(n)
		}
		p.setScalar(f, v, uint64(x))
		return n, nil
	case protowire.Fixed64Type:
		x, n := protowire.ConsumeFixed64(b)
		if n < 0 {
			return 0, protowire.ParseError(n)
		}
		p.setScalar(f, v, x)
		return n, nil
	case protowire.StartGroupType:
		g, n := protowire.ConsumeGroup(f.num, b)
		if n < 0 {
			return 0, protowire.ParseError(n)
		}
		return n, p.setMessage(f, v, g, depth)
	}
	data, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return 0, protowire.ParseError(n)
	}
	switch {
	case isPackable(f.kind): // packed list
		return n, p.unpack(f, v, data)
	case f.kind == protoreflect.StringKind:
		p.setValue(f, v, string(data))
	case f.kind == protoreflect.BytesKind:
		p.setValue(f, v, data[:len(data):len(data)])
	default:
		return n, p.setMessage(f, v, data, depth)
	}
	return n, nil
}

func (p *plan) setScalar(f *fieldPlan, v *any, x uint64) {
	if f.list {
		*v = appendScalar(*v, f.kind, x)
		return
	}
	*v = scalar(f.kind, x)
}

func (p *plan) setValue(f *fieldPlan, v *any, x any) {
	if f.list {
		l, _ := (*v).([]any)
		*v = append(l, x)
		return
	}
	*v = x
}

func (p *plan) setMessage(f *fieldPlan, v *any, b []byte, depth int) error {
	if !f.list {
		if r, ok := (*v).(*formats.Record); ok { // repeated occurrence: merge
			return f.sub.merge(r.Values, b, depth+1)
		}
	}
	r, err := f.sub.decode(b, depth+1)
	if err != nil {
		return err
	}
	p.setValue(f, v, r)
	return nil
}

func (p *plan) unpack(f *fieldPlan, v *any, b []byte) error {
	// Size the list once: the element count is known from the bytes.
	var n int
	switch wireType(f.kind) {
	case protowire.VarintType:
		for _, c := range b {
			if c < 0x80 {
				n++
			}
		}
	case protowire.Fixed32Type:
		n = len(b) / 4
	default:
		n = len(b) / 8
	}
	if *v == nil {
		*v = emptyList(f.kind)
	}
	switch l := (*v).(type) {
	case []float64:
		*v = slices.Grow(l, n)
	case []int64:
		*v = slices.Grow(l, n)
	case []uint64:
		*v = slices.Grow(l, n)
	case []any:
		*v = slices.Grow(l, n)
	}
	for len(b) > 0 {
		var x uint64
		var n int
		switch wireType(f.kind) {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		default:
			x, n = protowire.ConsumeFixed64(b)
		}
		if n < 0 {
			return fmt.Errorf("packed element: %w", protowire.ParseError(n))
		}
		*v = appendScalar(*v, f.kind, x)
		b = b[n:]
	}
	return nil
}

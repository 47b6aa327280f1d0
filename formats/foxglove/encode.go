package foxglove

import (
	"fmt"
	"math"

	"github.com/rigsync/rigsync/formats"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// encode appends the protobuf encoding of r to b, fields in declaration
// order. Record fields absent or nil are not written, nor are zero scalars
// of implicit-presence fields (proto3); repeated scalars are packed. A
// record field the descriptor lacks is an error.
func (p *plan) encode(b []byte, r *formats.Record, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("foxglove: encode %s: %w", p.name, errDepth)
	}
	for _, n := range r.Names {
		if _, ok := p.field(n); !ok {
			return nil, fmt.Errorf("foxglove: encode %s: no field %q in schema", p.name, n)
		}
	}
	for i := range p.fields {
		f := &p.fields[i]
		v, ok := r.Get(f.name)
		if !ok || v == nil {
			continue
		}
		var err error
		if b, err = p.encodeField(b, f, v, depth); err != nil {
			return nil, fmt.Errorf("foxglove: encode %s.%s: %w", p.name, f.name, err)
		}
	}
	return b, nil
}

func (p *plan) encodeField(b []byte, f *fieldPlan, v any, depth int) ([]byte, error) {
	if !f.list {
		return p.encodeOne(b, f, v, !f.presence, depth)
	}
	if isPackable(f.kind) {
		var elems []any
		switch l := v.(type) {
		case []float64:
			for _, x := range l {
				elems = append(elems, x)
			}
		case []int64:
			for _, x := range l {
				elems = append(elems, x)
			}
		case []uint64:
			for _, x := range l {
				elems = append(elems, x)
			}
		case []any:
			elems = l
		default:
			return nil, fmt.Errorf("repeated value of type %T", v)
		}
		if len(elems) == 0 {
			return b, nil
		}
		var packed []byte
		for _, x := range elems {
			raw, err := rawScalar(f.kind, x)
			if err != nil {
				return nil, err
			}
			packed = appendRaw(packed, f.kind, raw)
		}
		b = protowire.AppendTag(b, f.num, protowire.BytesType)
		return protowire.AppendBytes(b, packed), nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("repeated value of type %T, want []any", v)
	}
	for _, x := range l {
		var err error
		if b, err = p.encodeOne(b, f, x, false, depth); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// encodeOne writes one value; skipZero omits zero scalars (proto3 implicit
// presence).
func (p *plan) encodeOne(b []byte, f *fieldPlan, v any, skipZero bool, depth int) ([]byte, error) {
	switch f.kind {
	case protoreflect.StringKind:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("value of type %T, want string", v)
		}
		if skipZero && s == "" {
			return b, nil
		}
		b = protowire.AppendTag(b, f.num, protowire.BytesType)
		return protowire.AppendString(b, s), nil
	case protoreflect.BytesKind:
		s, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("value of type %T, want []byte", v)
		}
		if skipZero && len(s) == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, f.num, protowire.BytesType)
		return protowire.AppendBytes(b, s), nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		r, ok := v.(*formats.Record)
		if !ok {
			return nil, fmt.Errorf("value of type %T, want *formats.Record", v)
		}
		if f.kind == protoreflect.GroupKind {
			b = protowire.AppendTag(b, f.num, protowire.StartGroupType)
			b, err := f.sub.encode(b, r, depth+1)
			if err != nil {
				return nil, err
			}
			return protowire.AppendTag(b, f.num, protowire.EndGroupType), nil
		}
		sub, err := f.sub.encode(nil, r, depth+1)
		if err != nil {
			return nil, err
		}
		b = protowire.AppendTag(b, f.num, protowire.BytesType)
		return protowire.AppendBytes(b, sub), nil
	}
	raw, err := rawScalar(f.kind, v)
	if err != nil {
		return nil, err
	}
	if skipZero && raw == 0 {
		return b, nil
	}
	b = protowire.AppendTag(b, f.num, wireType(f.kind))
	return appendRaw(b, f.kind, raw), nil
}

func appendRaw(b []byte, k protoreflect.Kind, raw uint64) []byte {
	switch wireType(k) {
	case protowire.Fixed32Type:
		return protowire.AppendFixed32(b, uint32(raw))
	case protowire.Fixed64Type:
		return protowire.AppendFixed64(b, raw)
	}
	return protowire.AppendVarint(b, raw)
}

// rawScalar converts a Go number or bool to the raw wire value of kind k,
// checking the range.
func rawScalar(k protoreflect.Kind, v any) (uint64, error) {
	var (
		i     int64
		u     uint64
		f     float64
		isF   bool
		isNeg bool
	)
	switch x := v.(type) {
	case bool:
		if k != protoreflect.BoolKind {
			return 0, fmt.Errorf("bool for %v field", k)
		}
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		i, u, isNeg = int64(x), uint64(x), x < 0
	case int32:
		i, u, isNeg = int64(x), uint64(x), x < 0
	case int64:
		i, u, isNeg = x, uint64(x), x < 0
	case uint32:
		i, u = int64(x), uint64(x)
	case uint64:
		i, u = int64(x), x
		if x > math.MaxInt64 {
			i = -1 // flag: does not fit int64
		}
	case float32:
		f, isF = float64(x), true
	case float64:
		f, isF = x, true
	default:
		return 0, fmt.Errorf("value of type %T for %v field", v, k)
	}
	switch k {
	case protoreflect.FloatKind:
		if !isF {
			f = float64(i)
			if !isNeg && i < 0 {
				f = float64(u)
			}
		}
		return uint64(math.Float32bits(float32(f))), nil
	case protoreflect.DoubleKind:
		if !isF {
			f = float64(i)
			if !isNeg && i < 0 {
				f = float64(u)
			}
		}
		return math.Float64bits(f), nil
	}
	if isF {
		if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("non-integer %v for %v field", f, k)
		}
		if f < 0 {
			if f < math.MinInt64 {
				return 0, fmt.Errorf("%v out of range for %v field", f, k)
			}
			i, u, isNeg = int64(f), uint64(int64(f)), true
		} else {
			if f >= 1<<64 {
				return 0, fmt.Errorf("%v out of range for %v field", f, k)
			}
			u = uint64(f)
			i = int64(u)
			if u > math.MaxInt64 {
				i = -1
			}
		}
	}
	bad := func() (uint64, error) { return 0, fmt.Errorf("%v out of range for %v field", v, k) }
	switch k {
	case protoreflect.BoolKind:
		return 0, fmt.Errorf("number for bool field")
	case protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sfixed32Kind:
		if (!isNeg && i < 0) || i < math.MinInt32 || i > math.MaxInt32 {
			return bad()
		}
		if k == protoreflect.Sfixed32Kind {
			return uint64(uint32(int32(i))), nil
		}
		return uint64(i), nil
	case protoreflect.Sint32Kind:
		if (!isNeg && i < 0) || i < math.MinInt32 || i > math.MaxInt32 {
			return bad()
		}
		return protowire.EncodeZigZag(i), nil
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		if !isNeg && i < 0 {
			return bad()
		}
		return uint64(i), nil
	case protoreflect.Sint64Kind:
		if !isNeg && i < 0 {
			return bad()
		}
		return protowire.EncodeZigZag(i), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if isNeg || u > math.MaxUint32 {
			return bad()
		}
		return u, nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if isNeg {
			return bad()
		}
		return u, nil
	}
	return 0, fmt.Errorf("value %v for %v field", v, k)
}

package formats

import (
	"bytes"
	"encoding/json"
)

// Record is a generically decoded structure: field names in schema order
// with their values (nil, bool, int64, uint64, float64, string, []byte,
// []any, []float64, []int64, []uint64 or *Record).
type Record struct {
	// Type is the structure's type name (may be empty).
	Type   string
	Names  []string
	Values []any
}

// Get returns the value of the named field, or nil and false.
func (r *Record) Get(name string) (any, bool) {
	for i, n := range r.Names {
		if n == name {
			return r.Values[i], true
		}
	}
	return nil, false
}

// Add appends a field.
func (r *Record) Add(name string, v any) {
	r.Names = append(r.Names, name)
	r.Values = append(r.Values, v)
}

// MarshalJSON writes the record as a JSON object with fields in schema order.
func (r *Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range r.Names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(r.Values[i])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

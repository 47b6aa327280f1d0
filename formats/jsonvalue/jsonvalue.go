// Package jsonvalue turns generically decoded message values into values
// encoding/json can always write: NaN and ±Inf become strings, and, when
// asked, long arrays and byte fields are summarised.
package jsonvalue

import (
	"encoding/base64"
	"encoding/hex"
	"math"

	"github.com/rigsync/rigsync/formats"
)

// Options control the conversion.
type Options struct {
	// Summarize replaces arrays longer than MaxArray elements with
	// {"len": N, "head": [first HeadLen elements]} and byte fields with
	// {"bytes": N, "head_hex": "..."}. Without it bytes are base64 strings.
	Summarize bool
	// MaxArray is the longest array kept whole (default 16).
	MaxArray int
	// HeadLen is how many elements a summary shows (default 8).
	HeadLen int
}

// Summary is the JSON form of a summarised array.
type Summary struct {
	Len  int   `json:"len"`
	Head []any `json:"head"`
}

// BytesSummary is the JSON form of a summarised byte field.
type BytesSummary struct {
	Bytes   int    `json:"bytes"`
	HeadHex string `json:"head_hex"`
}

// Convert returns a JSON-safe copy of v (see formats.Record for the kinds).
func Convert(v any, o Options) any {
	if o.MaxArray == 0 {
		o.MaxArray = 16
	}
	if o.HeadLen == 0 {
		o.HeadLen = 8
	}
	return conv(v, o)
}

func float(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

func conv(v any, o Options) any {
	switch x := v.(type) {
	case float64:
		return float(x)
	case float32:
		return float(float64(x))
	case []byte:
		if o.Summarize {
			h := x[:min(len(x), 16)]
			return BytesSummary{Bytes: len(x), HeadHex: hex.EncodeToString(h)}
		}
		return base64.StdEncoding.EncodeToString(x)
	case *formats.Record:
		if x == nil {
			return nil
		}
		out := &formats.Record{Type: x.Type, Names: x.Names, Values: make([]any, len(x.Values))}
		for i, e := range x.Values {
			out.Values[i] = conv(e, o)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = conv(e, o)
		}
		return out
	case []any:
		return array(len(x), func(i int) any { return conv(x[i], o) }, o)
	case []float64:
		return array(len(x), func(i int) any { return float(x[i]) }, o)
	case []float32:
		return array(len(x), func(i int) any { return float(float64(x[i])) }, o)
	case []int64:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []uint64:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []int32:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []uint32:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []int16:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []uint16:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []int8:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []bool:
		return array(len(x), func(i int) any { return x[i] }, o)
	case []string:
		return array(len(x), func(i int) any { return x[i] }, o)
	}
	return v
}

func array(n int, at func(int) any, o Options) any {
	if o.Summarize && n > o.MaxArray {
		s := Summary{Len: n, Head: make([]any, o.HeadLen)}
		for i := range s.Head {
			s.Head[i] = at(i)
		}
		return s
	}
	out := make([]any, n)
	for i := range out {
		out[i] = at(i)
	}
	return out
}

package foxglove

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/rigsync/rigsync/formats"
)

// parseJSON reads one JSON object into a Record with keys in document
// order (a repeated key keeps its first position and its last value).
// Integers become int64 (uint64 above MaxInt64), other numbers float64,
// arrays []any.
func parseJSON(data []byte) (*formats.Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("foxglove: json: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("foxglove: json: message is %s, want an object", jsonKind(tok))
	}
	r, err := jsonObject(dec, 1)
	if err != nil {
		return nil, fmt.Errorf("foxglove: json at offset %d: %w", dec.InputOffset(), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("foxglove: json: data after the message at offset %d", dec.InputOffset())
	}
	return r, nil
}

func jsonKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a bool"
	}
	return "a number"
}

// jsonObject reads the members of an object whose '{' was consumed.
func jsonObject(dec *json.Decoder, depth int) (*formats.Record, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	r := &formats.Record{}
	var index map[string]int
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is %s", jsonKind(tok))
		}
		v, err := jsonValue(dec, depth)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", key, err)
		}
		// Last value wins for a repeated key, as in encoding/json.
		if index == nil && len(r.Names) >= 16 {
			index = make(map[string]int, 2*len(r.Names))
			for i, n := range r.Names {
				index[n] = i
			}
		}
		dup := -1
		if index != nil {
			if i, ok := index[key]; ok {
				dup = i
			}
		} else {
			for i, n := range r.Names {
				if n == key {
					dup = i
					break
				}
			}
		}
		if dup >= 0 {
			r.Values[dup] = v
			continue
		}
		if index != nil {
			index[key] = len(r.Names)
		}
		r.Add(key, v)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, err
	}
	return r, nil
}

func jsonValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return jsonObject(dec, depth+1)
		}
		if depth+1 > maxDepth {
			return nil, errDepth
		}
		l := []any{}
		for dec.More() {
			v, err := jsonValue(dec, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", len(l), err)
			}
			l = append(l, v)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, err
		}
		return l, nil
	case json.Number:
		return jsonNumber(t)
	}
	return tok, nil // nil, bool, string
}

func jsonNumber(n json.Number) (any, error) {
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s: %w", s, err)
	}
	return f, nil
}

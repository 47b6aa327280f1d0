package foxglove

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
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

// parseJSONMembers reads only the named members of a top-level JSON object
// into a Record (as parseJSON would: the last of a repeated key wins); the
// other members are skipped by jsonSkip, which matches strings and
// brackets but does not parse numbers or literals.
func parseJSONMembers(data []byte, names []string) (*formats.Record, error) {
	r := &formats.Record{}
	i := jsonSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, fmt.Errorf("foxglove: json: message is not an object (offset %d)", i)
	}
	i = jsonSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return r, jsonEnd(data, i+1)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, fmt.Errorf("foxglove: json at offset %d: want an object key", i)
		}
		end, err := jsonSkip(data, i, 0)
		if err != nil {
			return nil, err
		}
		rawKey := data[i:end]
		i = jsonSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, fmt.Errorf("foxglove: json at offset %d: want ':' after an object key", i)
		}
		start := jsonSpace(data, i+1)
		if end, err = jsonSkip(data, start, 1); err != nil {
			return nil, err
		}
		if key, ok := jsonWanted(rawKey, names); ok {
			v, err := jsonValueAt(data[start:end])
			if err != nil {
				return nil, fmt.Errorf("foxglove: json at offset %d: %q: %w", start, key, err)
			}
			if j := slices.Index(r.Names, key); j >= 0 {
				r.Values[j] = v
			} else {
				r.Add(key, v)
			}
		}
		i = jsonSpace(data, end)
		if i < len(data) && data[i] == ',' {
			i = jsonSpace(data, i+1)
			continue
		}
		if i < len(data) && data[i] == '}' {
			return r, jsonEnd(data, i+1)
		}
		return nil, fmt.Errorf("foxglove: json at offset %d: want ',' or '}' in the message object", i)
	}
}

// jsonWanted unquotes a key (cheaply when it has no escapes) and tells
// whether it is one of names.
func jsonWanted(raw []byte, names []string) (string, bool) {
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		for _, n := range names {
			if string(body) == n {
				return n, true
			}
		}
		return "", false
	}
	var key string
	if json.Unmarshal(raw, &key) != nil {
		return "", false
	}
	return key, slices.Contains(names, key)
}

// jsonValueAt parses one JSON value as parseJSON does.
func jsonValueAt(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return jsonValue(dec, 1)
}

// jsonEnd checks that only white space follows the message at i.
func jsonEnd(data []byte, i int) error {
	if i = jsonSpace(data, i); i < len(data) {
		return fmt.Errorf("foxglove: json: data after the message at offset %d", i)
	}
	return nil
}

func jsonSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonStructural marks the bytes jsonSkip stops at inside an object or
// array: quotes and brackets.
var jsonStructural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// jsonSkip returns the end of the JSON value starting at i: a string, an
// object or array (brackets matched, strings inside skipped), or a
// literal or number (up to the next delimiter).
func jsonSkip(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("foxglove: json: value missing at offset %d", i)
	}
	switch b[i] {
	case '"':
		return jsonSkipString(b, i)
	case '{', '[':
		var stack []byte
		for j := i; j < len(b); j++ {
			for j < len(b) && !jsonStructural[b[j]] {
				j++
			}
			if j == len(b) {
				break
			}
			switch c := b[j]; c {
			case '"':
				end, err := jsonSkipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				if depth+len(stack) >= maxDepth {
					return 0, fmt.Errorf("foxglove: json at offset %d: %w", j, errDepth)
				}
				stack = append(stack, c+2) // '}' and ']' follow '{' and '[' by 2
			default: // '}', ']'
				if len(stack) == 0 || stack[len(stack)-1] != c {
					return 0, fmt.Errorf("foxglove: json: unexpected %q at offset %d", c, j)
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("foxglove: json: %q at offset %d is not closed", b[i], i)
	case ',', '}', ']', ':':
		return 0, fmt.Errorf("foxglove: json: value missing at offset %d", i)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j, nil
}

// jsonSkipString returns the end of the string whose opening quote is at
// i: the first quote after it not escaped by an odd run of backslashes.
func jsonSkipString(b []byte, i int) (int, error) {
	j := i + 1
	// Keys and short values end within a few bytes: look there first
	// (up to an escape, which the search below handles).
	for end := min(j+16, len(b)); j < end && b[j] != '\\'; j++ {
		if b[j] == '"' {
			return j + 1, nil
		}
	}
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, fmt.Errorf("foxglove: json: string at offset %d does not end", i)
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, nil
		}
		j = q + 1
	}
}

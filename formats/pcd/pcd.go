package pcd

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"
)

// ErrFormat reports a malformed PCD file.
var ErrFormat = errors.New("pcd: malformed file")

// MaxPoints bounds the point count a header may declare.
const MaxPoints = 1 << 28

type field struct {
	name  string
	size  int
	typ   byte
	count int
}

// Read parses a PCD file and returns its finite x, y, z points.
func Read(r io.Reader) ([]r3.Vec, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var fields []field
	var sizes, counts []int
	var types []string
	points, width, height := -1, -1, 1
	data := ""
	for line := 1; data == ""; line++ {
		s, err := br.ReadString('\n')
		if err != nil && (err != io.EOF || s == "") {
			return nil, fmt.Errorf("%w: header line %d: %v", ErrFormat, line, err)
		}
		if len(s) > 1<<16 {
			return nil, fmt.Errorf("%w: header line %d too long", ErrFormat, line)
		}
		s = strings.TrimSpace(s)
		if s == "" || s[0] == '#' {
			if err == io.EOF {
				return nil, fmt.Errorf("%w: no DATA line", ErrFormat)
			}
			continue
		}
		f := strings.Fields(s)
		key, vals := strings.ToUpper(f[0]), f[1:]
		switch key {
		case "VERSION", "VIEWPOINT":
		case "FIELDS":
			for _, v := range vals {
				fields = append(fields, field{name: v})
			}
		case "SIZE", "COUNT":
			for i, v := range vals {
				n, err := strconv.Atoi(v)
				if err != nil || n <= 0 || n > 1<<16 {
					return nil, fmt.Errorf("%w: %s[%d] = %q", ErrFormat, key, i, v)
				}
				if key == "SIZE" {
					sizes = append(sizes, n)
				} else {
					counts = append(counts, n)
				}
			}
		case "TYPE":
			types = vals
		case "WIDTH", "HEIGHT", "POINTS":
			if len(vals) != 1 {
				return nil, fmt.Errorf("%w: %s needs one value", ErrFormat, key)
			}
			n, err := strconv.Atoi(vals[0])
			if err != nil || n < 0 || n > MaxPoints {
				return nil, fmt.Errorf("%w: %s = %q", ErrFormat, key, vals[0])
			}
			switch key {
			case "WIDTH":
				width = n
			case "HEIGHT":
				height = n
			default:
				points = n
			}
		case "DATA":
			if len(vals) != 1 {
				return nil, fmt.Errorf("%w: DATA needs one value", ErrFormat)
			}
			data = strings.ToLower(vals[0])
		default:
			return nil, fmt.Errorf("%w: unknown header key %q on line %d", ErrFormat, f[0], line)
		}
		if err == io.EOF && data == "" {
			return nil, fmt.Errorf("%w: no DATA line", ErrFormat)
		}
	}
	if len(sizes) != len(fields) || len(types) != len(fields) {
		return nil, fmt.Errorf("%w: %d FIELDS, %d SIZE, %d TYPE", ErrFormat, len(fields), len(sizes), len(types))
	}
	if counts == nil {
		counts = make([]int, len(fields))
		for i := range counts {
			counts[i] = 1
		}
	}
	if len(counts) != len(fields) {
		return nil, fmt.Errorf("%w: %d FIELDS, %d COUNT", ErrFormat, len(fields), len(counts))
	}
	if points < 0 {
		if width < 0 {
			return nil, fmt.Errorf("%w: neither POINTS nor WIDTH", ErrFormat)
		}
		points = width * height
	}
	if points > MaxPoints {
		return nil, fmt.Errorf("%w: %d points", ErrFormat, points)
	}
	xyz := [3]int{-1, -1, -1}
	stride, tokens := 0, 0
	offs := make([]int, len(fields))
	toks := make([]int, len(fields))
	for i := range fields {
		fields[i].size, fields[i].count = sizes[i], counts[i]
		if len(types[i]) != 1 || !strings.Contains("FIU", strings.ToUpper(types[i])) {
			return nil, fmt.Errorf("%w: TYPE[%d] = %q", ErrFormat, i, types[i])
		}
		fields[i].typ = strings.ToUpper(types[i])[0]
		offs[i], toks[i] = stride, tokens
		stride += sizes[i] * counts[i]
		tokens += counts[i]
		if stride > 1<<20 {
			return nil, fmt.Errorf("%w: point size %d", ErrFormat, stride)
		}
		for k, n := range []string{"x", "y", "z"} {
			if fields[i].name == n {
				if fields[i].typ != 'F' || (sizes[i] != 4 && sizes[i] != 8) {
					return nil, fmt.Errorf("%w: field %s is %c%d (want F4 or F8)", ErrFormat, n, fields[i].typ, sizes[i])
				}
				xyz[k] = i
			}
		}
	}
	for k, i := range xyz {
		if i < 0 {
			return nil, fmt.Errorf("%w: no %c field", ErrFormat, "xyz"[k])
		}
	}
	switch data {
	case "ascii":
		return readASCII(br, points, tokens, xyz, toks)
	case "binary":
		return readBinary(br, points, stride, xyz, offs, fields)
	case "binary_compressed":
		return nil, fmt.Errorf("pcd: DATA binary_compressed is not supported (convert with pcl_convert_pcd_ascii_binary)")
	}
	return nil, fmt.Errorf("%w: DATA %q", ErrFormat, data)
}

func readASCII(br *bufio.Reader, points, tokens int, xyz [3]int, toks []int) ([]r3.Vec, error) {
	var out []r3.Vec
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for n < points && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != tokens {
			return nil, fmt.Errorf("%w: point %d has %d values, want %d", ErrFormat, n, len(f), tokens)
		}
		var v [3]float64
		for k := 0; k < 3; k++ {
			s := f[toks[xyz[k]]]
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				if strings.EqualFold(s, "nan") {
					x = math.NaN()
				} else {
					return nil, fmt.Errorf("%w: point %d %c = %q", ErrFormat, n, "xyz"[k], s)
				}
			}
			v[k] = x
		}
		n++
		if finite(v) {
			out = append(out, r3.Vec{X: v[0], Y: v[1], Z: v[2]})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if n != points {
		return nil, fmt.Errorf("%w: %d of %d points", ErrFormat, n, points)
	}
	return out, nil
}

func finite(v [3]float64) bool {
	s := v[0] + v[1] + v[2]
	return !math.IsNaN(s) && !math.IsInf(s, 0)
}

func readBinary(br *bufio.Reader, points, stride int, xyz [3]int, offs []int, fields []field) ([]r3.Vec, error) {
	if stride == 0 {
		return nil, fmt.Errorf("%w: zero point size", ErrFormat)
	}
	out := make([]r3.Vec, 0, min(points, 1<<16))
	buf := make([]byte, stride)
	for n := 0; n < points; n++ {
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, fmt.Errorf("%w: point %d of %d: %v", ErrFormat, n, points, err)
		}
		var v [3]float64
		for k := 0; k < 3; k++ {
			o := offs[xyz[k]]
			if fields[xyz[k]].size == 4 {
				v[k] = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[o:])))
			} else {
				v[k] = math.Float64frombits(binary.LittleEndian.Uint64(buf[o:]))
			}
		}
		if finite(v) {
			out = append(out, r3.Vec{X: v[0], Y: v[1], Z: v[2]})
		}
	}
	return out, nil
}

// Field is one field of a PCD file's point record: its name, the size in
// bytes of one value, its type (F float, I signed integer, U unsigned
// integer) and how many values it has.
type Field struct {
	Name  string
	Size  int
	Type  byte
	Count int
}

// NewField is a field of one value of size bytes and type typ ('F', 'I'
// or 'U').
func NewField(name string, typ byte, size int) Field {
	return Field{Name: name, Size: size, Type: typ, Count: 1}
}

// DefaultComment is the first line's text of the PCD files PCL writes.
const DefaultComment = "Point Cloud Data file format"

// XYZ is the field layout of Write: x, y, z as float32.
var XYZ = []Field{NewField("x", 'F', 4), NewField("y", 'F', 4), NewField("z", 'F', 4)}

// AppendHeader appends the PCD v0.7 header of an unorganized cloud of n
// points (WIDTH n, HEIGHT 1, identity VIEWPOINT) with these fields to b.
// The first line is "# .PCD v0.7 - " and comment (which must be one line);
// data is the DATA mode, "binary" or "ascii". The points follow the header
// directly.
func AppendHeader(b []byte, comment string, fields []Field, n int, data string) []byte {
	b = append(b, "# .PCD v0.7 - "...)
	b = append(b, comment...)
	b = append(b, "\nVERSION 0.7\nFIELDS"...)
	for _, f := range fields {
		b = append(b, ' ')
		b = append(b, f.Name...)
	}
	b = append(b, "\nSIZE"...)
	for _, f := range fields {
		b = strconv.AppendInt(append(b, ' '), int64(f.Size), 10)
	}
	b = append(b, "\nTYPE"...)
	for _, f := range fields {
		b = append(b, ' ', f.Type)
	}
	b = append(b, "\nCOUNT"...)
	for _, f := range fields {
		b = strconv.AppendInt(append(b, ' '), int64(f.Count), 10)
	}
	return fmt.Appendf(b, "\nWIDTH %d\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS %d\nDATA %s\n", n, n, data)
}

// Write writes pts as a PCD file with float32 x y z fields, DATA binary
// or ascii.
func Write(w io.Writer, pts []r3.Vec, binaryData bool) error {
	bw := bufio.NewWriter(w)
	data := "ascii"
	if binaryData {
		data = "binary"
	}
	bw.Write(AppendHeader(nil, DefaultComment, XYZ, len(pts), data))
	var b [12]byte
	for _, p := range pts {
		if binaryData {
			binary.LittleEndian.PutUint32(b[0:], math.Float32bits(float32(p.X)))
			binary.LittleEndian.PutUint32(b[4:], math.Float32bits(float32(p.Y)))
			binary.LittleEndian.PutUint32(b[8:], math.Float32bits(float32(p.Z)))
			bw.Write(b[:])
		} else {
			fmt.Fprintf(bw, "%s %s %s\n", strconv.FormatFloat(float64(float32(p.X)), 'g', -1, 32),
				strconv.FormatFloat(float64(float32(p.Y)), 'g', -1, 32), strconv.FormatFloat(float64(float32(p.Z)), 'g', -1, 32))
		}
	}
	return bw.Flush()
}

package calibio

import (
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxYAMLSize bounds calibration content that is parsed as YAML or text
// (every format but the JSON ones): a YAML parser holds tens of bytes per
// input byte, so a multi-megabyte list would cost hundreds of megabytes
// before any check could refuse it. Real calibration files are a few kB.
const MaxYAMLSize = 1 << 20

// ReadFileBytes reads the file at path for one of the calibration readers:
// a file larger than MaxFileSize is refused from its size, before it is
// read, with an error naming the file and its size.
func ReadFileBytes(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxFileSize {
		return nil, fmt.Errorf("calibio: %s: %d bytes, more than the %d a calibration file may hold", path, st.Size(), MaxFileSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("calibio: %s: %w", path, err)
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("calibio: %s: more than the %d bytes a calibration file may hold", path, MaxFileSize)
	}
	return b, nil
}

// CheckYAMLSize refuses YAML or text calibration content larger than
// MaxYAMLSize; name (a file name, or "") is named in the error.
func CheckYAMLSize(b []byte, name string) error {
	if len(b) <= MaxYAMLSize {
		return nil
	}
	return fmt.Errorf("calibio: %s%d bytes of YAML or text, more than the %d (%d MiB) a calibration file in that form may hold",
		prefix(name), len(b), MaxYAMLSize, MaxYAMLSize>>20)
}

func prefix(name string) string {
	if name == "" {
		return ""
	}
	return name + ": "
}

// CheckYAMLNumbers refuses YAML whose numbers are not finite (.nan, .inf,
// -.inf) or overflow float64 (1e999), naming the line and the key path of
// the first one ("cam0.intrinsics[2]"); name (a file name, or "") is named
// too. Content that is not YAML is left to the readers.
func CheckYAMLNumbers(b []byte, name string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil // the reader reports it
	}
	return walkYAML(&doc, "", name)
}

func walkYAML(n *yaml.Node, path, name string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := walkYAML(c, path, name); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if path != "" {
				k = path + "." + k
			}
			if err := walkYAML(n.Content[i+1], k, name); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := walkYAML(c, fmt.Sprintf("%s[%d]", path, i), name); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		if !nonFiniteYAML(n) {
			return nil
		}
		field := path
		if field == "" {
			field = "value"
		}
		return fmt.Errorf("calibio: %sline %d: %s: %q is not a finite number", prefix(name), n.Line, field, n.Value)
	}
	return nil
}

// nonFiniteYAML reports whether a scalar is a YAML float that is NaN or
// infinite (.nan, .inf, -.Inf), or a plain scalar written as a decimal
// number that overflows float64 (1e999, which YAML resolves as a string).
func nonFiniteYAML(n *yaml.Node) bool {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false // a string
	}
	switch n.ShortTag() {
	case "!!float":
	case "!!str":
		if !decimal.MatchString(n.Value) {
			return false
		}
	default:
		return false
	}
	v := strings.ToLower(n.Value)
	if strings.Contains(v, "nan") || strings.Contains(v, "inf") {
		return true
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	return err != nil || math.IsNaN(f) || math.IsInf(f, 0)
}

// decimal matches a number written in decimal, with an exponent or not.
var decimal = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$`)

// finiteError is the error of a non-finite number found after parsing.
func finiteError(f Format, name, field string, v float64) error {
	return fmt.Errorf("calibio: %s%s: %s: %v is not a finite number", prefix(name), f, field, v)
}

// checkFinite refuses a calibration holding a non-finite number anywhere:
// the backstop behind the readers' own checks (JSON and KITTI text name
// the line; this names the field).
func checkFinite(c *Calibration, name string) error {
	fin := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, cam := range c.Cameras {
		in := cam.Intrinsics
		for i, v := range []float64{in.Fx, in.Fy, in.Cx, in.Cy} {
			if !fin(v) {
				return finiteError(c.Format, name, fmt.Sprintf("camera %q %s", cam.Name, [...]string{"fx", "fy", "cx", "cy"}[i]), v)
			}
		}
		for i, v := range cam.Params {
			if !fin(v) {
				return finiteError(c.Format, name, fmt.Sprintf("camera %q distortion[%d]", cam.Name, i), v)
			}
		}
		if cam.R != nil {
			for i, v := range cam.R {
				if !fin(v) {
					return finiteError(c.Format, name, fmt.Sprintf("camera %q R[%d]", cam.Name, i), v)
				}
			}
		}
		if cam.P != nil {
			for i, v := range cam.P {
				if !fin(v) {
					return finiteError(c.Format, name, fmt.Sprintf("camera %q P[%d]", cam.Name, i), v)
				}
			}
		}
	}
	for _, e := range c.Extrinsics {
		q, t := e.T.Rot, e.T.Trans
		for i, v := range []float64{t.X, t.Y, t.Z, q.Real, q.Imag, q.Jmag, q.Kmag} {
			if !fin(v) {
				return finiteError(c.Format, name, fmt.Sprintf("transform %s→%s %s", e.Parent, e.Child, [...]string{"x", "y", "z", "qw", "qx", "qy", "qz"}[i]), v)
			}
		}
	}
	for _, k := range sortedKeys(c.Scalars) {
		if v := c.Scalars[k]; !fin(v) {
			return finiteError(c.Format, name, k, v)
		}
	}
	for _, k := range sortedKeys(c.Matrices) {
		for i, v := range c.Matrices[k].Data {
			if !fin(v) {
				return finiteError(c.Format, name, fmt.Sprintf("%s[%d]", k, i), v)
			}
		}
	}
	return nil
}

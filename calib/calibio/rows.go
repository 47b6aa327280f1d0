package calibio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
)

// MaxRowLength is the longest line ReadRows accepts, in bytes.
const MaxRowLength = 1 << 20

// ReadRows reads the numeric rows of a point, pixel or pose table: one row
// per line, values separated by commas, spaces, tabs or semicolons, each
// row exactly n values. Blank lines and lines starting with '#' are
// skipped, and so is a header: a first line with a value that is not a
// number. name prefixes the errors ("name:line: ...").
func ReadRows(r io.Reader, name string, n int) ([][]float64, error) {
	var rows [][]float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxRowLength)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' })
		row := make([]float64, 0, n)
		for _, x := range fields {
			v, err := strconv.ParseFloat(x, 64)
			if errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("%s:%d: %q is not a finite number", name, line, x)
			}
			if err != nil {
				if len(rows) == 0 && line == 1 {
					row = nil
					break // header
				}
				return nil, fmt.Errorf("%s:%d: %q is not a number", name, line, x)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: %q is not a finite number", name, line, x)
			}
			row = append(row, v)
		}
		if row == nil {
			continue
		}
		if len(row) != n {
			return nil, fmt.Errorf("%s:%d: %d values, want %d", name, line, len(row), n)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// ReadRowsFile reads the rows of the file at path (ReadRows; errors name
// the path).
func ReadRowsFile(path string, n int) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadRows(f, path, n)
}

// Points turns rows of at least three values into points (x, y, z: the
// first three values of each row).
func Points(rows [][]float64) []r3.Vec {
	out := make([]r3.Vec, len(rows))
	for i, r := range rows {
		out[i] = r3.Vec{X: r[0], Y: r[1], Z: r[2]}
	}
	return out
}

// ReadPointsFile reads a table of points, x,y,z per line (ReadRows).
func ReadPointsFile(path string) ([]r3.Vec, error) {
	rows, err := ReadRowsFile(path, 3)
	if err != nil {
		return nil, err
	}
	return Points(rows), nil
}

// ReadPosesFile reads a pose track, x,y,z,qx,qy,qz,qw per line (ReadRows;
// quaternion x,y,z,w, normalised): each row is one pose T_world_sensor.
func ReadPosesFile(path string) ([]se3.Transform, error) {
	rows, err := ReadRowsFile(path, 7)
	if err != nil {
		return nil, err
	}
	out := make([]se3.Transform, len(rows))
	for i, r := range rows {
		T, err := se3.FromQuatXYZW(r[3], r[4], r[5], r[6], r3.Vec{X: r[0], Y: r[1], Z: r[2]})
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, i+1, err)
		}
		out[i] = T
	}
	return out, nil
}

package calibio

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"
)

func TestReadRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		n    int
		want [][]float64
		err  string
	}{
		{"comma", "1,2,3\n4,5,6\n", 3, [][]float64{{1, 2, 3}, {4, 5, 6}}, ""},
		{"mixed separators", "1 2\t3\n4;5 , 6\n", 3, [][]float64{{1, 2, 3}, {4, 5, 6}}, ""},
		{"header, comments, blanks", "x,y,z\n# a comment\n\n  1,2,3  \n", 3, [][]float64{{1, 2, 3}}, ""},
		{"header only", "x,y,z\n", 3, nil, ""},
		{"empty", "", 3, nil, ""},
		{"comment before header", "# c\nx,y,z\n", 3, nil, "pts.csv:2: \"x\" is not a number"},
		{"text on a later line", "1,2,3\n4,a,6\n", 3, nil, "pts.csv:2: \"a\" is not a number"},
		{"too few", "1,2\n", 3, nil, "pts.csv:1: 2 values, want 3"},
		{"too many", "1,2,3\n1,2,3,4\n", 3, nil, "pts.csv:2: 4 values, want 3"},
		{"five columns", "0,0,1,320,240\n", 5, [][]float64{{0, 0, 1, 320, 240}}, ""},
		{"exponents", "0,1e3,-2.5E-1\n", 3, [][]float64{{0, 1000, -0.25}}, ""},
		{"nan", "1,2,3\nnan,1e3,-2.5E-1\n", 3, nil, `pts.csv:2: "nan" is not a finite number`},
		{"inf", "1,-Inf,3\n", 3, nil, `pts.csv:1: "-Inf" is not a finite number`},
		{"overflow", "1,2,1e999\n", 3, nil, `pts.csv:1: "1e999" is not a finite number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadRows(strings.NewReader(tc.in), "pts.csv", tc.n)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("rows = %v, want %v", got, tc.want)
			}
			for i := range got {
				for j := range got[i] {
					a, b := got[i][j], tc.want[i][j]
					if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
						t.Errorf("row %d = %v, want %v", i, got[i], tc.want[i])
					}
				}
			}
		})
	}
}

func TestReadRowsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(path, []byte("x,y,z\n1,2,3\n4,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPointsFile(path); err == nil || err.Error() != path+":3: 2 values, want 3" {
		t.Errorf("err = %v, want the path and line", err)
	}
	if err := os.WriteFile(path, []byte("1,2,3\n4,5,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pts, err := ReadPointsFile(path)
	if err != nil || !reflect.DeepEqual(pts, []r3.Vec{{X: 1, Y: 2, Z: 3}, {X: 4, Y: 5, Z: 6}}) {
		t.Errorf("points = %v, %v", pts, err)
	}
	if _, err := ReadRowsFile(filepath.Join(dir, "missing.csv"), 3); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadPosesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "poses.csv")
	// A 90° yaw (quaternion x,y,z,w = 0,0,sin 45°,cos 45°), unnormalised.
	if err := os.WriteFile(path, []byte("x,y,z,qx,qy,qz,qw\n1,2,3,0,0,0,1\n0,0,0,0,0,2,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := ReadPosesFile(path)
	if err != nil || len(ps) != 2 {
		t.Fatalf("poses = %v, %v", ps, err)
	}
	if got := ps[0].Apply(r3.Vec{}); got != (r3.Vec{X: 1, Y: 2, Z: 3}) {
		t.Errorf("pose 1 moves the origin to %v", got)
	}
	if got := ps[1].Apply(r3.Vec{X: 1}); math.Abs(got.X) > 1e-12 || math.Abs(got.Y-1) > 1e-12 {
		t.Errorf("pose 2 maps x to %v, want y", got)
	}
	if err := os.WriteFile(path, []byte("0,0,0,0,0,0,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPosesFile(path); err == nil || !strings.HasPrefix(err.Error(), path+" row 1: ") {
		t.Errorf("zero quaternion: err = %v, want the path and row", err)
	}
}

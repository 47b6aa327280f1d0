package calibapp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/solve"
	"github.com/rigsync/rigsync/formats/pcd"
)

// SolveOptions are the settings of Solve (the flags of "calib solve").
type SolveOptions struct {
	// Method is kabsch, pnp, handeye or icp.
	Method string
	// Camera is the camera of pnp (its Frame is not used).
	Camera CameraOptions
	// RANSAC is the inlier threshold of kabsch (metres) and pnp (pixels);
	// 0 solves without RANSAC.
	RANSAC float64
	// MaxDist is icp's largest correspondence distance (metres).
	MaxDist float64
	// Init is icp's initial T_target_source: 16 comma-separated values,
	// row-major ("": the identity).
	Init string
}

// Solution is the result of Solve: the transform T (mapping source
// coordinates into the target frame) in several forms, its residuals and
// its 1-σ uncertainty. It marshals to the command's --json output (a NaN
// residual is null).
type Solution struct {
	Method       string            `json:"method"`
	T            [4][4]float64     `json:"T"`
	Translation  [3]float64        `json:"translation"`
	RotationXYZW [4]float64        `json:"rotation_xyzw"`
	RPYDeg       [3]float64        `json:"rpy_deg"`
	Scale        float64           `json:"scale"`
	RMS          float64           `json:"rms"`
	Residuals    []*float64        `json:"residuals"`
	Fitness      float64           `json:"fitness"`
	Inliers      int               `json:"inliers"`
	Iterations   int               `json:"iterations"`
	Uncertainty  solve.Uncertainty `json:"uncertainty"`
}

// Solve estimates an extrinsic with o.Method from the input files:
//
//	kabsch   SOURCE.csv TARGET.csv (x,y,z per line, row i the same point)
//	pnp      POINTS.csv (X,Y,Z,u,v per line), with the camera o.Camera
//	handeye  POSES1.csv POSES2.csv (x,y,z,qx,qy,qz,qw per line, time-aligned)
//	icp      SOURCE.pcd TARGET.pcd
//
// A missing or unknown method, the wrong number of inputs and a bad o.Init
// are a UsageError; unreadable or degenerate input is another error.
func Solve(o SolveOptions, inputs []string) (*Solution, error) {
	res, err := solveMethod(o, inputs)
	if err != nil {
		return nil, err
	}
	T := res.T
	r, p, y := T.RPY()
	out := &Solution{Method: o.Method, T: T.Matrix4(), Translation: [3]float64{T.Trans.X, T.Trans.Y, T.Trans.Z},
		RotationXYZW: T.QuatXYZW(), RPYDeg: [3]float64{r * 180 / math.Pi, p * 180 / math.Pi, y * 180 / math.Pi},
		Scale: res.Scale, RMS: res.RMS, Fitness: res.Fitness, Iterations: res.Iterations, Uncertainty: res.Uncertainty,
		Inliers: len(res.Residuals)}
	if res.Inliers != nil {
		out.Inliers = len(res.Inliers)
	}
	out.Residuals = make([]*float64, len(res.Residuals))
	for i := range res.Residuals {
		if !math.IsNaN(res.Residuals[i]) {
			out.Residuals[i] = &res.Residuals[i]
		}
	}
	return out, nil
}

// solveMethod reads the inputs of o.Method and runs its solver.
func solveMethod(o SolveOptions, args []string) (solve.Result, error) {
	switch o.Method {
	case "kabsch":
		if err := wantArgs(args, 2, "SOURCE.csv TARGET.csv"); err != nil {
			return solve.Result{}, err
		}
		src, err := calibio.ReadPointsFile(args[0])
		if err != nil {
			return solve.Result{}, err
		}
		dst, err := calibio.ReadPointsFile(args[1])
		if err != nil {
			return solve.Result{}, err
		}
		if o.RANSAC > 0 {
			return solve.KabschRANSAC(src, dst, solve.RANSACOptions{Threshold: o.RANSAC, Seed: 1})
		}
		return solve.Kabsch(src, dst)
	case "pnp":
		if err := wantArgs(args, 1, "POINTS.csv (X,Y,Z,u,v per line)"); err != nil {
			return solve.Result{}, err
		}
		m, _, err := LoadCamera(CameraOptions{Rig: o.Camera.Rig, Camera: o.Camera.Camera, Calib: o.Camera.Calib})
		if err != nil {
			return solve.Result{}, err
		}
		rows, err := calibio.ReadRowsFile(args[0], 5)
		if err != nil {
			return solve.Result{}, err
		}
		world := make([]r3.Vec, len(rows))
		pix := make([][2]float64, len(rows))
		for i, r := range rows {
			world[i], pix[i] = r3.Vec{X: r[0], Y: r[1], Z: r[2]}, [2]float64{r[3], r[4]}
		}
		if o.RANSAC > 0 {
			return solve.PnPRANSAC(m, world, pix, solve.RANSACOptions{Threshold: o.RANSAC, Seed: 1})
		}
		return solve.PnP(m, world, pix, solve.PnPOptions{})
	case "handeye":
		if err := wantArgs(args, 2, "POSES1.csv POSES2.csv"); err != nil {
			return solve.Result{}, err
		}
		a, err := calibio.ReadPosesFile(args[0])
		if err != nil {
			return solve.Result{}, err
		}
		b, err := calibio.ReadPosesFile(args[1])
		if err != nil {
			return solve.Result{}, err
		}
		if len(a) != len(b) {
			return solve.Result{}, fmt.Errorf("calib solve: %d poses in %s, %d in %s (tracks must be time-aligned)", len(a), args[0], len(b), args[1])
		}
		return solve.HandEye(solve.RelativeMotions(a), solve.RelativeMotions(b))
	case "icp":
		if err := wantArgs(args, 2, "SOURCE.pcd TARGET.pcd"); err != nil {
			return solve.Result{}, err
		}
		init, err := parseInit(o.Init)
		if err != nil {
			return solve.Result{}, err
		}
		src, err := readPCD(args[0])
		if err != nil {
			return solve.Result{}, err
		}
		dst, err := readPCD(args[1])
		if err != nil {
			return solve.Result{}, err
		}
		return solve.ICP(src, dst, init, solve.ICPOptions{MaxDistance: o.MaxDist})
	case "":
		return solve.Result{}, UsageError{errors.New("calib solve: --method is required (kabsch, pnp, handeye, icp)")}
	}
	return solve.Result{}, UsageError{fmt.Errorf("calib solve: unknown --method %q (kabsch, pnp, handeye, icp)", o.Method)}
}

// wantArgs checks the number of input files of a method.
func wantArgs(args []string, n int, usage string) error {
	if len(args) != n {
		return UsageError{fmt.Errorf("calib solve: expected %s", usage)}
	}
	return nil
}

// parseInit parses SolveOptions.Init.
func parseInit(s string) (se3.Transform, error) {
	if s == "" {
		return se3.Identity(), nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 16 {
		return se3.Transform{}, UsageError{fmt.Errorf("--init has %d values, want 16", len(parts))}
	}
	var m [4][4]float64
	for i, s := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return se3.Transform{}, UsageError{fmt.Errorf("--init value %d: %v", i, err)}
		}
		m[i/4][i%4] = v
	}
	T, err := se3.FromMatrix4(m)
	if err != nil {
		return se3.Transform{}, UsageError{fmt.Errorf("--init: %w", err)}
	}
	return T, nil
}

// readPCD reads the points of a PCD file (ascii or binary).
func readPCD(path string) ([]r3.Vec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pts, err := pcd.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pts, nil
}

// WriteText writes the human form: the method, T row by row, translation
// and rotation with their 1-σ, and the fit statistics. It returns the
// first write error.
func (s *Solution) WriteText(w io.Writer) error {
	sw := &stickyWriter{w: w}
	u := s.Uncertainty
	fmt.Fprintf(sw, "method:      %s\n", s.Method)
	fmt.Fprintln(sw, "T (maps source into target, row-major):")
	for _, row := range s.T {
		fmt.Fprintf(sw, "  %12.8f %12.8f %12.8f %12.6f\n", row[0], row[1], row[2], row[3])
	}
	fmt.Fprintf(sw, "translation: [%.6f %.6f %.6f] m  ±[%.2g %.2g %.2g]\n", s.Translation[0], s.Translation[1], s.Translation[2],
		u.SigmaTrans[0], u.SigmaTrans[1], u.SigmaTrans[2])
	fmt.Fprintf(sw, "rotation:    q_xyzw=[%.8f %.8f %.8f %.8f]  rpy=[%.4f %.4f %.4f]° ±[%.2g %.2g %.2g]°\n", s.RotationXYZW[0], s.RotationXYZW[1],
		s.RotationXYZW[2], s.RotationXYZW[3], s.RPYDeg[0], s.RPYDeg[1], s.RPYDeg[2],
		u.SigmaRotDeg[0], u.SigmaRotDeg[1], u.SigmaRotDeg[2])
	fmt.Fprintf(sw, "rms:         %.6g   inliers: %d/%d   fitness: %.3f   iterations: %d\n", s.RMS, s.Inliers, len(s.Residuals), s.Fitness, s.Iterations)
	return sw.err
}

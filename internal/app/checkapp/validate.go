package checkapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/calib/check"
)

// UsageError marks an error as the settings being wrong (the command's
// exit code 2).
type UsageError struct{ Err error }

// Error is the marked error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the error it marks.
func (e UsageError) Unwrap() error { return e.Err }

// Validate checks the settings of a "calib check" command line before
// anything is read, and returns the first problem as a UsageError (its
// text names the flags). It takes the settings as the command gives them,
// every one set: o.Ego must be one of auto, odometry, gnss, tf or none,
// o.Window and o.MaxFrames positive (Run's defaults for zero values are
// for other callers), o.Kinds among Kinds; out.Fix needs out.Out and
// out.Out needs out.Fix; out.FixFrom is check.Miscalibrated or
// check.Suspicious; o.ScaleIntrinsics needs o.RigPath; and no output file
// (out.Out, out.Report) may be an input (o.Logs, o.RigPath): inputs are
// never modified.
func Validate(o Options, out Outputs) error {
	if err := validate(o, out); err != nil {
		return UsageError{err}
	}
	return nil
}

func validate(o Options, out Outputs) error {
	if out.Fix && out.Out == "" {
		return errors.New("--fix needs -o FILE (the input rig is never modified)")
	}
	if !out.Fix && out.Out != "" {
		return errors.New("-o is the corrected rig of --fix; add --fix")
	}
	if o.ScaleIntrinsics && o.RigPath == "" {
		return errors.New("--scale-intrinsics scales the intrinsics of --rig rig.yaml; add --rig")
	}
	if out.FixFrom != check.Miscalibrated && out.FixFrom != check.Suspicious {
		return fmt.Errorf("--fix-from %q: want miscalibrated or suspicious", out.FixFrom)
	}
	switch o.Ego {
	case "auto", "odometry", "gnss", "tf", "none":
	default:
		return fmt.Errorf("--ego %q: want auto, odometry, gnss, tf or none", o.Ego)
	}
	if o.Window <= 0 {
		return fmt.Errorf("--window %v: want a positive duration", o.Window)
	}
	if o.MaxFrames < 1 {
		return fmt.Errorf("--max-frames %d: want at least 1", o.MaxFrames)
	}
	for _, k := range o.Kinds {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("--kinds %q: want some of %s", k, strings.Join(Kinds, ", "))
		}
	}
	// No output may overwrite an input.
	inputs := slices.Clone(o.Logs)
	if o.RigPath != "" {
		inputs = append(inputs, strings.Split(o.RigPath, ",")...)
	}
	for _, f := range []struct{ flag, path string }{{"-o", out.Out}, {"--report", out.Report}} {
		for _, in := range inputs {
			if f.path != "" && samePath(in, f.path) {
				return fmt.Errorf("%s %s is an input; write it elsewhere (inputs are never modified)", f.flag, f.path)
			}
		}
	}
	return nil
}

// samePath reports whether a and b name the same file (or, when b does not
// exist yet, the same cleaned absolute path).
func samePath(a, b string) bool {
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	if ea == nil && eb == nil {
		return os.SameFile(sa, sb)
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

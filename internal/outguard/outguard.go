// Package outguard keeps a command from writing over its own inputs: an
// output path that is an input, resolves to one (a symbolic link, a hard
// link, "..", a different spelling), lies inside an input folder (a
// rosbag2 bag), or is a folder holding an input (which --force would
// empty) is refused, --force or not.
package outguard

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Error says which output would overwrite which input, and how.
type Error struct {
	Output, Input string
	// How is "is", "is inside" or "contains".
	How string
}

// Error returns e.g. `output out.mcap is the input drive.mcap`.
func (e *Error) Error() string {
	switch e.How {
	case "is inside":
		return fmt.Sprintf("output %s is inside the input %s: refusing to write into an input", e.Output, e.Input)
	case "contains":
		return fmt.Sprintf("output %s contains the input %s: writing it would replace the input", e.Output, e.Input)
	}
	return fmt.Sprintf("output %s is the input %s: refusing to overwrite an input", e.Output, e.Input)
}

// Check returns an *Error when out would overwrite or replace one of
// inputs, nil otherwise. Paths that do not exist yet are compared by their
// resolved parent folder; an empty out is never refused.
func Check(out string, inputs []string) error {
	if out == "" {
		return nil
	}
	ro := resolve(out)
	oi, oerr := os.Stat(out)
	for _, in := range inputs {
		ri := resolve(in)
		ii, ierr := os.Stat(in)
		switch {
		case ri == ro, oerr == nil && ierr == nil && os.SameFile(oi, ii):
			return &Error{Output: out, Input: in, How: "is"}
		case within(ro, ri):
			return &Error{Output: out, Input: in, How: "is inside"}
		case within(ri, ro):
			return &Error{Output: out, Input: in, How: "contains"}
		}
	}
	return nil
}

// resolve returns p absolute, cleaned and with symbolic links resolved as
// far as p exists (a path not created yet keeps its missing tail).
func resolve(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	tail := ""
	for dir := abs; ; {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, tail)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		tail = filepath.Join(filepath.Base(dir), tail)
		dir = parent
	}
}

// within reports whether p lies strictly inside the folder dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

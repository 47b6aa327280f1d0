// Package rigfiles reads what a command's --rig names — one rig.yaml, or
// any calibration files calib/calibio reads, several of them — and merges
// them into one rig (calib/rigmerge) for fuse, calib check, live and
// calib convert --to rig. A single rig.yaml without --map is used as it
// is, exactly as before --rig took other files.
package rigfiles

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/rigmerge"
	"github.com/rigsync/rigsync/fusion"
)

// UsageError marks an error of the arguments themselves (a bad --map),
// which commands report as a usage error (exit 2).
type UsageError struct{ Err error }

// Error is the marked error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the marked error.
func (e UsageError) Unwrap() error { return e.Err }

// IsUsage reports whether err is (or wraps) a UsageError.
func IsUsage(err error) bool {
	_, ok := errors.AsType[UsageError](err)
	return ok
}

// Loaded is the rig a command's --rig files give.
type Loaded struct {
	// Paths are the files, in the order given.
	Paths []string
	// Rig is the merged rig (the rig.yaml itself for a single rig.yaml).
	Rig *rig.Rig
	// Merge is the merge's result; nil for a single rig.yaml without
	// --map.
	Merge *rigmerge.Result
}

// Split splits repeated, comma-separated flag values into items.
func Split(args []string) []string {
	var out []string
	for _, a := range args {
		for _, p := range strings.Split(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// IsRigYAML reports whether b is a rig.yaml (a YAML map with base_frame
// and sensors) rather than another calibration format.
func IsRigYAML(b []byte) bool {
	if len(b) > calibio.MaxYAMLSize {
		return false // not parsed: calibio refuses it with its size
	}
	var m map[string]any
	if yaml.Unmarshal(b, &m) != nil {
		return false
	}
	_, hasBase := m["base_frame"]
	_, hasSensors := m["sensors"]
	return hasBase && hasSensors
}

// Load reads the files at paths (see Split) and merges them with the
// FILE_FRAME=SENSOR renames of maps, relative to base ("" chooses, see
// rigmerge.Options.Base). Items are sourced by the file's base name (its
// path when two files share a base name). Errors name the file; a bad
// --map is a UsageError. No paths is no rig: nil, nil.
func Load(paths, maps []string, base string) (*Loaded, error) {
	paths = Split(paths)
	if len(paths) == 0 {
		if len(Split(maps)) > 0 {
			return nil, UsageError{errors.New("--map renames the frames of --rig files; add --rig")}
		}
		return nil, nil
	}
	m, err := rigmerge.ParseMap(maps)
	if err != nil {
		return nil, UsageError{err}
	}
	var in []rigmerge.Input
	named := map[string]int{}
	for _, p := range paths {
		named[filepath.Base(p)]++
	}
	for _, p := range paths {
		x, err := readOne(p)
		if err != nil {
			return nil, err
		}
		if named[x.Name] > 1 {
			x.Name = p // two files of one name: the sources say which
		}
		in = append(in, x)
	}
	if len(in) == 1 && in[0].Rig != nil && len(m) == 0 {
		return &Loaded{Paths: paths, Rig: in[0].Rig}, nil
	}
	res, err := rigmerge.Merge(in, rigmerge.Options{Base: base, Map: m})
	if err != nil {
		return nil, fmt.Errorf("--rig %s: %w", strings.Join(paths, ","), err)
	}
	return &Loaded{Paths: paths, Rig: res.Rig, Merge: res}, nil
}

// readOne reads one file as a rig.yaml or, failing that test, as any
// calibio format, naming the file in its errors.
func readOne(path string) (rigmerge.Input, error) {
	b, err := calibio.ReadFileBytes(path)
	if err != nil {
		return rigmerge.Input{}, err
	}
	name := filepath.Base(path)
	if IsRigYAML(b) {
		rg, err := rig.Load(bytes.NewReader(b))
		if err != nil {
			return rigmerge.Input{}, fmt.Errorf("%s: %w", path, err)
		}
		return rigmerge.Input{Name: name, Rig: rg}, nil
	}
	c, err := calibio.ReadNamed(b, name)
	if err != nil {
		return rigmerge.Input{}, fmt.Errorf("%s: %w (a --rig file is a rig.yaml or a calibration file rigsync reads: %s)", path, err, formatList())
	}
	if len(c.Cameras) == 0 && len(c.Extrinsics) == 0 {
		return rigmerge.Input{}, fmt.Errorf("%s: a %s file with no camera and no transform: nothing for a rig (it holds only %s)", path, c.Format, holds(c))
	}
	return rigmerge.Input{Name: name, Calib: c}, nil
}

func formatList() string {
	s := make([]string, len(calibio.Formats))
	for i, f := range calibio.Formats {
		s[i] = string(f)
	}
	return "rig.yaml, " + strings.Join(s, ", ")
}

func holds(c *calibio.Calibration) string {
	var parts []string
	if n := len(c.Scalars); n > 0 {
		parts = append(parts, fmt.Sprintf("%d numbers", n))
	}
	if n := len(c.Strings); n > 0 {
		parts = append(parts, fmt.Sprintf("%d strings", n))
	}
	if n := len(c.Matrices); n > 0 {
		parts = append(parts, fmt.Sprintf("%d matrices", n))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// Label names the files for a summary: the paths joined by ",".
func (l *Loaded) Label() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.Paths, ",")
}

// Warnings are what the merge could not place, for a summary's
// warnings: frames whose chain misses the base, (known reports the log's
// sensor frames; nil skips it) merged sensors the log does not have, and
// the merge's notes (what it assumed). None for a single rig.yaml.
//
// The rig's own suspicious values (rig.Rig.Warnings: a quaternion
// normalised, a camera without image size, ...) come first, for a single
// rig.yaml too.
func (l *Loaded) Warnings(known func(frame string) bool) []string {
	if l == nil {
		return nil
	}
	var out []string
	if l.Rig != nil {
		out = append(out, l.Rig.Warnings()...)
	}
	if l.Merge == nil {
		return out
	}
	for _, u := range l.Merge.Unreached {
		out = append(out, "rig: no extrinsic for "+u)
	}
	if known != nil {
		for _, u := range l.Merge.Unmapped(known) {
			out = append(out, "rig: unmapped: "+u+" is not a sensor of the log (--map FILE_FRAME=SENSOR)")
		}
	}
	for _, n := range l.Merge.Notes {
		out = append(out, "rig: "+n)
	}
	return out
}

// Unmapped lists the merged sensors the log does not have (see
// rigmerge.Result.Unmapped); none for a single rig.yaml.
func (l *Loaded) Unmapped(known func(frame string) bool) []string {
	if l == nil || l.Merge == nil {
		return nil
	}
	return l.Merge.Unmapped(known)
}

// LogFrames reports whether a frame is one of the log's, as cal (the
// log's own calibration, before --rig) knows them: a data topic's frame
// id, a camera calibration's frame or a /tf_static frame.
func LogFrames(cal *fusion.Calibration) func(string) bool {
	frames := map[string]bool{}
	for _, ts := range cal.Sensors {
		frames[ts.Name] = true
	}
	for f := range cal.Infos {
		frames[f] = true
	}
	for f := range cal.Extrinsics {
		frames[f] = true
	}
	return func(f string) bool { return frames[f] }
}

// CheckLog checks the rig against the log's own calibration cal (before
// --rig overrides it): a camera, LiDAR or radar of the rig whose frame
// carries data of the log of other modalities only (a camera declared as
// a LiDAR) is an error; warnings name a rig sensor whose frame known (the
// frames the run has: LogFrames of cal, or live's cameras too) does not
// have (a single rig.yaml; a merge reports its unmapped sensors in
// Warnings) and a camera whose image size differs from the log's
// camera_info.
func (l *Loaded) CheckLog(cal *fusion.Calibration, known func(frame string) bool) (warnings []string, err error) {
	if l == nil || l.Rig == nil || cal == nil {
		return nil, nil
	}
	mods := map[string]map[string]bool{} // frame → modalities of its data topics
	for _, ts := range cal.Sensors {
		m := ts.Modality.String()
		if m == "camera_info" {
			m = "camera"
		}
		if mods[ts.Name] == nil {
			mods[ts.Name] = map[string]bool{}
		}
		mods[ts.Name][m] = true
	}
	for i := range l.Rig.Sensors {
		s := &l.Rig.Sensors[i]
		f := s.Frame
		if f == "" {
			f = s.Name
		}
		switch s.Modality {
		case "camera", "lidar", "radar":
			if ms := mods[f]; len(ms) > 0 && !ms[s.Modality] {
				return warnings, fmt.Errorf("rig: sensor %s is a %s, but the log's data on frame %q is %s", s.Name, s.Modality, f, strings.Join(sortedSet(ms), ", "))
			}
		}
		if l.Merge == nil && f != l.Rig.BaseFrame && !known(f) {
			warnings = append(warnings, fmt.Sprintf("rig: sensor %s: frame %q is not in the log", s.Name, f))
		}
		if in := s.Intrinsics; in != nil && in.Width > 0 && in.Height > 0 {
			if ci, ok := cal.Infos[f]; ok && ci.Width > 0 && ci.Height > 0 && (int(ci.Width) != in.Width || int(ci.Height) != in.Height) {
				warnings = append(warnings, fmt.Sprintf("rig: camera %s: intrinsics for %dx%d images, the log's camera_info says %dx%d", s.Name, in.Width, in.Height, ci.Width, ci.Height))
			}
		}
	}
	return warnings, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

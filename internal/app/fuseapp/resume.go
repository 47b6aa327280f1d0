package fuseapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/rigsync/rigsync/internal/app/rigfiles"
	"github.com/rigsync/rigsync/internal/atomicfile"
	"github.com/rigsync/rigsync/internal/version"
)

// RunRecordName is the file that records what a fuse run was started
// with: inside the output folder (OUT/.rigsync-run.json) for the folder
// formats, next to the output file (OUT.rigsync-run.json) for the
// single-file ones. It exists while the run is incomplete and is removed
// when the run succeeds, so that a finished output holds exactly what an
// uninterrupted run writes.
const RunRecordName = ".rigsync-run.json"

// RunRecord is what a fuse run was started with: the content of every
// input (SHA-256 of each log and calibration file; of each file of a
// rosbag2 folder), every option that changes the output, and rigsync's
// version. --resume compares the record of the killed run with its own
// and refuses to continue when they differ (a ResumeError). Options that
// do not change the output (--workers: every worker count writes the
// same bytes; --force, --resume, --strict, -q, --json) are not recorded.
type RunRecord struct {
	// Version is rigsync's version (internal/version).
	Version string `json:"rigsync_version"`
	// Inputs are the logs (in command-line order), then the --rig files.
	Inputs []RecordedInput `json:"inputs"`
	// Options maps each output-changing flag (without dashes) to its
	// value as text; unset flags are absent.
	Options map[string]string `json:"options"`
}

// RecordedInput is one input file (or rosbag2 folder) of a run.
type RecordedInput struct {
	// Role is "log" or "rig".
	Role string `json:"role"`
	// Path is the path as given on the command line.
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of the file's content; for a folder, of
	// the sorted list of its files' relative paths, sizes and SHA-256s.
	SHA256 string `json:"sha256"`
}

// ResumeError is a --resume refused because the killed run was started
// with other inputs, options or rigsync version (or left no record);
// Diffs says what differs, one item each. Run returns it wrapped in a
// UsageError (exit code 2).
type ResumeError struct {
	Out   string
	Diffs []string
}

// Error says what differs.
func (e *ResumeError) Error() string {
	return fmt.Sprintf("fuse: cannot resume %s: %s (use --force to start over)", e.Out, strings.Join(e.Diffs, "; "))
}

// NewRunRecord records the run of o on the logs at paths: it hashes every
// input (streaming; a log of several GB takes seconds; ctx stops it).
func NewRunRecord(ctx context.Context, o Options, paths []string) (*RunRecord, error) {
	rec := &RunRecord{Version: buildVersion(), Options: recordedOptions(o)}
	add := func(role, p string) error {
		sum, err := hashPath(ctx, p)
		if err != nil {
			return fmt.Errorf("fuse: hash %s: %w", p, err)
		}
		rec.Inputs = append(rec.Inputs, RecordedInput{Role: role, Path: p, SHA256: sum})
		return nil
	}
	for _, p := range paths {
		if err := add("log", p); err != nil {
			return nil, err
		}
	}
	for _, p := range rigfiles.Split(o.Rig) {
		if err := add("rig", p); err != nil {
			return nil, err
		}
	}
	if o.Labels != "" {
		if err := add("labels", o.Labels); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// buildVersion is rigsync's version with its revision and whether the
// tree was modified (not the Go version: a rebuild with another Go of the
// same source writes the same output).
func buildVersion() string {
	v := version.FromBuildInfo(debug.ReadBuildInfo())
	s := v.Version
	if v.Revision != "" {
		s += " " + v.Revision
	}
	if v.Modified {
		s += " (modified)"
	}
	return s
}

// recordedOptions are the options of o that change the output, as text.
func recordedOptions(o Options) map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("format", o.Format)
	set("frame", o.Frame)
	set("reference", o.Reference)
	set("tolerance", o.Tolerance.String())
	set("keyframe-hz", strconv.FormatFloat(o.KeyframeHz, 'g', -1, 64))
	var clocks []string
	for name, c := range o.Clocks {
		clocks = append(clocks, name+"="+c.String())
	}
	slices.Sort(clocks)
	if o.AutoClock {
		clocks = append(clocks, "auto")
	}
	set("clock", strings.Join(clocks, " "))
	var lat []string
	for name, d := range o.Latency {
		lat = append(lat, name+"="+d.String())
	}
	slices.Sort(lat)
	set("latency", strings.Join(lat, " "))
	set("map", strings.Join(o.Map, " "))
	set("scale-intrinsics", strconv.FormatBool(o.ScaleIntrinsics))
	if o.NoProjections { // recorded only when set: older run records stay valid
		set("no-projections", "true")
	}
	set("ego", o.Ego)
	if g := o.GNSSOrigin; g != nil {
		set("gnss-origin", fmt.Sprintf("%g,%g,%g", g.Lat, g.Lon, g.Alt))
	}
	set("image-check-every", strconv.Itoa(o.ImageCheckEvery))
	set("register", strconv.FormatBool(o.Register))
	set("kitti-camera", o.KITTICamera)
	set("url-prefix", o.URLPrefix)
	if o.Labels != "" {
		set("labels-format", o.LabelsFormat)
	}
	set("start", o.Window.Start)
	set("end", o.Window.End)
	set("sensors", strings.Join(o.Sensors.Sensors, ","))
	set("exclude", strings.Join(o.Sensors.Exclude, ","))
	return m
}

// hashPath is the hex SHA-256 of the file at p, read in a stream; for a
// folder (a rosbag2 bag), of the sorted lines "relpath size sha256" of
// its regular files.
func hashPath(ctx context.Context, p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return hashFile(ctx, p)
	}
	var lines []string
	err = filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		sum, err := hashFile(ctx, q)
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, q)
		lines = append(lines, fmt.Sprintf("%s %d %s\n", filepath.ToSlash(rel), info.Size(), sum))
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile is the hex SHA-256 of the file at p, read 1 MiB at a time
// (ctx is checked between reads).
func hashFile(ctx context.Context, p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runRecordPath is where the record of a run writing out lives: inside
// out when it is a folder, next to it otherwise.
func runRecordPath(out string) string {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return filepath.Join(out, RunRecordName)
	}
	return out + RunRecordName
}

// WriteRunRecord writes rec for the run writing out (atomically).
func WriteRunRecord(out string, rec *RunRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(runRecordPath(out), append(b, '\n')); err != nil {
		return fmt.Errorf("fuse: write run record: %w", err)
	}
	return nil
}

// readRunRecord reads the record of the run writing out (nil, nil: none).
func readRunRecord(out string) (*RunRecord, error) {
	b, err := os.ReadFile(runRecordPath(out))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fuse: read run record: %w", err)
	}
	var rec RunRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("fuse: run record %s: %w", runRecordPath(out), err)
	}
	return &rec, nil
}

// Compare lists what differs between the killed run's record (was) and
// this run's (r), in words: inputs by position with their names and
// hashes, options by flag, the version. Empty when nothing does.
func (r *RunRecord) Compare(was *RunRecord) []string {
	var diffs []string
	short := func(h string) string { return h[:min(12, len(h))] + "…" }
	n := max(len(was.Inputs), len(r.Inputs))
	for i := range n {
		switch {
		case i >= len(r.Inputs):
			w := was.Inputs[i]
			diffs = append(diffs, fmt.Sprintf("input %d (%s %s, sha256 %s) is missing", i+1, w.Role, w.Path, short(w.SHA256)))
		case i >= len(was.Inputs):
			c := r.Inputs[i]
			diffs = append(diffs, fmt.Sprintf("input %d (%s %s, sha256 %s) is new", i+1, c.Role, c.Path, short(c.SHA256)))
		case was.Inputs[i].SHA256 != r.Inputs[i].SHA256 || was.Inputs[i].Role != r.Inputs[i].Role:
			w, c := was.Inputs[i], r.Inputs[i]
			diffs = append(diffs, fmt.Sprintf("input %d differs (%s: was %s sha256 %s, now %s sha256 %s)",
				i+1, c.Role, w.Path, short(w.SHA256), c.Path, short(c.SHA256)))
		}
	}
	var keys []string
	for k := range was.Options {
		keys = append(keys, k)
	}
	for k := range r.Options {
		if _, ok := was.Options[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if was.Options[k] != r.Options[k] {
			diffs = append(diffs, fmt.Sprintf("option --%s: was %s, now %s", k, orUnset(was.Options[k]), orUnset(r.Options[k])))
		}
	}
	if was.Version != r.Version {
		diffs = append(diffs, fmt.Sprintf("rigsync version: was %s, now %s", was.Version, r.Version))
	}
	return diffs
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return strconv.Quote(s)
}

package fleetapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/atomicfile"
	"github.com/rigsync/rigsync/internal/outguard"
	"github.com/rigsync/rigsync/internal/version"
)

// Folders inside a fleet folder.
const (
	// StateDir holds one file per analysed log, named by its content
	// hash: what a rerun skips by.
	StateDir = "state"
	// ReportsDir holds each log's own reports (logs/SHA12/info.json,
	// check.json).
	ReportsDir = "logs"
	// FusedDir holds each log's fused output with --fuse (fused/SHA16/).
	FusedDir = "fused"
)

// UsageError is a usage error of "rigsync fleet" (exit 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e UsageError) Unwrap() error { return e.Err }

// GateError means at least one log failed the gate (exit 3).
type GateError struct{ Failed int }

func (e GateError) Error() string { return fmt.Sprintf("%d log(s) failed the gate", e.Failed) }

// ScanOptions are the settings of "rigsync fleet scan".
type ScanOptions struct {
	// Out is the fleet folder.
	Out string
	// Workers is how many logs are analysed at once (0: all cores).
	Workers int
	// Force analyses every log again, even those the fleet folder already
	// holds a result for.
	Force bool
	// Analysis is the per-log analysis (FuseDir is set to Out/fused).
	Analysis Options
	// Progress, if not nil, is called after each log with the logs done
	// and the total.
	Progress func(done, total int)
}

// ScanSummary is what "rigsync fleet scan" prints (--json).
type ScanSummary struct {
	Out string `json:"out"`
	// Analyzed and Skipped (already done: same content, same options) logs.
	Analyzed int `json:"analyzed"`
	Skipped  int `json:"skipped"`
	// Coverage is the fleet's coverage.json (gate counts included).
	Coverage fleet.Coverage `json:"coverage"`
	// Failed lists the logs that failed the gate with their reasons.
	Failed []fleet.WorstLog `json:"failed"`
	// Outputs are the files written.
	Outputs []string `json:"outputs"`
}

// logExts are the file names ExpandLogs takes from a folder.
var logExts = []string{".mcap", ".bag", ".db3"}

// ExpandLogs turns the LOGS arguments into log paths: a file as it is, a
// glob by its matches, a folder by the logs below it (recursively: *.mcap,
// *.bag, *.db3 files, and rosbag2 folders — a folder with metadata.yaml —
// as one log each). The result is sorted and without duplicates. An
// argument that matches nothing is a UsageError.
func ExpandLogs(args []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, a := range args {
		matches := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, UsageError{fmt.Errorf("fleet: %q: %w", a, err)}
			}
			matches = m
		}
		if len(matches) == 0 {
			return nil, UsageError{fmt.Errorf("fleet: %q matches no file", a)}
		}
		for _, m := range matches {
			fi, err := os.Stat(m)
			if err != nil {
				if len(matches) == 1 && m == a {
					// A missing file is a log that cannot be read: the
					// gate fails it, the fleet goes on.
					add(m)
					continue
				}
				return nil, err
			}
			if !fi.IsDir() || isBag2(m) {
				add(m)
				continue
			}
			err = filepath.WalkDir(m, func(p string, d os.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					if p != m && isBag2(p) {
						add(p)
						return filepath.SkipDir
					}
					return nil
				}
				for _, ext := range logExts {
					if strings.HasSuffix(strings.ToLower(d.Name()), ext) {
						add(p)
					}
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("fleet: %w", err)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// CheckOutput refuses a fleet folder that is, lies in or holds one of the
// inputs (files, folders or globs as given; see internal/outguard).
func CheckOutput(out string, inputs []string) error {
	if err := outguard.Check(out, inputs); err != nil {
		return UsageError{fmt.Errorf("fleet scan: %w", err)}
	}
	return nil
}

func isBag2(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "metadata.yaml"))
	return err == nil
}

// state is what StateDir keeps per log.
type state struct {
	// Rigsync is the version of the rigsync that analysed the log
	// (version.Info.String: module version, VCS revision and modified
	// flag): another rigsync analyses again.
	Rigsync string       `json:"rigsync"`
	Options Options      `json:"options"`
	Result  fleet.Result `json:"result"`
}

// buildVersion is this binary's rigsync version as the skip state
// records it (a variable for tests).
var buildVersion = version.FromBuildInfo(debug.ReadBuildInfo()).String()

// Scan analyses the logs (ExpandLogs' result) into the fleet folder
// o.Out: each log on one of o.Workers workers, a log already analysed
// with the same options (by content hash) skipped unless o.Force; then
// the four fleet outputs of these logs (WriteOutputs) and each log's own
// reports. A log that cannot be read is a failed gate, never an error.
// When any log fails the gate, the summary comes with a GateError.
func Scan(ctx context.Context, o ScanOptions, logs []string) (*ScanSummary, error) {
	if o.Out == "" {
		return nil, UsageError{errors.New("fleet scan: -o FLEET_DIR is required")}
	}
	if len(logs) == 0 {
		return nil, UsageError{errors.New("fleet scan: no log to scan")}
	}
	if err := CheckOutput(o.Out, logs); err != nil {
		return nil, err
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	if o.Analysis.Fuse != "" {
		o.Analysis.FuseDir = filepath.Join(o.Out, FusedDir)
	}
	for _, d := range []string{o.Out, filepath.Join(o.Out, StateDir), filepath.Join(o.Out, ReportsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("fleet scan: %w", err)
		}
	}
	key := o.Analysis
	key.FuseDir = ""
	results := make([]fleet.Result, len(logs))
	var (
		mu       sync.Mutex
		done     int
		skipped  int
		firstErr error
	)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(logs)) {
		wg.Go(func() {
			for i := range jobs {
				r, skip, err := scanOne(ctx, o, key, logs[i])
				mu.Lock()
				results[i] = r
				done++
				if skip {
					skipped++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if o.Progress != nil {
					o.Progress(done, len(logs))
				}
				mu.Unlock()
			}
		})
	}
	for i := range logs {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	var cov fleet.Coverage
	for _, r := range results {
		cov.Add(r)
	}
	if err := WriteOutputs(o.Out, results, cov); err != nil {
		return nil, err
	}
	sum := &ScanSummary{Out: o.Out, Analyzed: len(logs) - skipped, Skipped: skipped, Coverage: cov, Failed: []fleet.WorstLog{}}
	for _, name := range []string{LogsFile, ScenesFile, CoverageFile, ReportFile} {
		sum.Outputs = append(sum.Outputs, filepath.Join(o.Out, name))
	}
	for _, r := range sortedResults(results) {
		if r.Summary.Gate.Verdict == fleet.Fail {
			sum.Failed = append(sum.Failed, fleet.WorstLog{Path: r.Summary.Path, SHA256: r.Summary.SHA256, Verdict: fleet.Fail, Reasons: r.Summary.Gate.Reasons})
		}
	}
	if cov.Failed > 0 {
		return sum, GateError{cov.Failed}
	}
	return sum, nil
}

// scanOne analyses one log, or takes its result from the fleet folder's
// state when the same content was analysed with the same options. Only a
// failure to write into the fleet folder is an error.
func scanOne(ctx context.Context, o ScanOptions, key Options, path string) (fleet.Result, bool, error) {
	sha := ""
	a := o.Analysis
	if s, size, err := hashFile(path); err == nil {
		sha = s
		a.hashed = &fileHash{sum: s, size: size} // Analyze does not hash it again
	}
	statePath := ""
	if sha != "" {
		statePath = filepath.Join(o.Out, StateDir, sha+".json")
		if !o.Force {
			if st, ok := readState(statePath); ok && st.Rigsync == buildVersion && sameOptions(st.Options, key) {
				return relocate(st.Result, path), true, nil
			}
		}
	}
	r, det := Analyze(ctx, path, a)
	if ctx.Err() != nil {
		return r, false, nil // not recorded: the run was cancelled
	}
	if r.Summary.SHA256 != "" {
		if err := writeReports(o.Out, r.Summary.SHA256, det); err != nil {
			return r, false, err
		}
	}
	if statePath != "" && r.Summary.SHA256 == sha {
		data, err := json.Marshal(state{Rigsync: buildVersion, Options: key, Result: r})
		if err == nil {
			err = atomicfile.WriteFile(statePath, data)
		}
		if err != nil {
			return r, false, fmt.Errorf("fleet scan: %w", err)
		}
	}
	return r, false, nil
}

func readState(path string) (state, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return state{}, false
	}
	var st state
	if json.Unmarshal(data, &st) != nil {
		return state{}, false
	}
	return st, true
}

func sameOptions(a, b Options) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// relocate gives a stored result the path the log has now.
func relocate(r fleet.Result, path string) fleet.Result {
	r.Summary.Path = path
	sc := make([]fleet.Scene, len(r.Scenes))
	for i, s := range r.Scenes {
		s.Log = path
		sc[i] = s
	}
	r.Scenes = sc
	return r
}

// ReportFolder is a log's report folder inside a fleet folder (relative).
func ReportFolder(sha string) string { return ReportsDir + "/" + sha[:min(12, len(sha))] }

// writeReports writes a log's own reports into logs/SHA12/.
func writeReports(out, sha string, det Details) error {
	dir := filepath.Join(out, filepath.FromSlash(ReportFolder(sha)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fleet scan: %w", err)
	}
	write := func(name string, v any) error {
		return atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		})
	}
	if det.Info != nil {
		if err := write("info.json", det.Info); err != nil {
			return err
		}
	}
	if det.Check != nil {
		if err := write("check.json", det.Check); err != nil {
			return err
		}
	}
	return nil
}

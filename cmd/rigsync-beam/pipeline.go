package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/app/fleetapp"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

// DeadFile is the dead-letter output inside a fleet folder: one
// DeadLetter per line, for every log the pipeline could not process.
const DeadFile = "dead.jsonl"

// Dead-letter stages.
const (
	// StageFetch: copying a remote log to a local temporary file failed.
	StageFetch = "fetch"
	// StageAnalyze: the analysis panicked (recovered) or its result could
	// not be encoded.
	StageAnalyze = "analyze"
)

// DeadLetter is one line of dead.jsonl: a log the pipeline could not
// process, at which stage, and why. A log that AnalyzeLog could read
// badly or not at all is not a dead letter: it is a failed gate in
// logs.jsonl, as in "rigsync fleet scan".
type DeadLetter struct {
	Path  string `json:"path"`
	Stage string `json:"stage"`
	Error string `json:"error"`
}

func init() {
	// Every DoFn, combiner, emitter and iterator is registered, so that
	// runners that start this binary as a worker find them (Prism fails
	// construction if one is missing).
	register.DoFn4x0[context.Context, string, func(string), func(string)](&AnalyzeFn{})
	register.Emitter1[string]()
	register.Combiner3[fleet.Coverage, string, string](&CoverageFn{})
	register.DoFn5x1[context.Context, []byte, func(*string) bool, func(*string) bool, func(*string) bool, error](&WriteFn{})
	register.Iter1[string]()
	// The accumulator travels as JSON: exact for its floats and safe for
	// whatever fields fleet.Coverage grows (maps, lists).
	beam.RegisterCoder(reflect.TypeOf(fleet.Coverage{}), encodeCoverage, decodeCoverage)
}

// encodeCoverage is the accumulator coder's encoder (JSON).
func encodeCoverage(c fleet.Coverage) ([]byte, error) { return json.Marshal(c) }

// decodeCoverage is the accumulator coder's decoder (JSON).
func decodeCoverage(b []byte) (fleet.Coverage, error) {
	var c fleet.Coverage
	err := json.Unmarshal(b, &c)
	return c, err
}

// scanPlan is what one pipeline run needs: the expanded log list, the
// output folder (local or a Beam filesystem URL) and fleetapp.Options as
// JSON text.
type scanPlan struct {
	Paths       []string
	Out         string
	OptionsJSON string
}

// buildPipeline constructs the fleet pipeline:
//
//	paths → Reshuffle → AnalyzeFn ─┬─ results (JSON fleet.Result) ─┬─ CoverageFn (combine) ─┐
//	                               └─ dead letters (JSON) ─────────┼────────────────────────┤
//	Impulse ───────────────────────── WriteFn (results, dead, coverage as side inputs) ◄────┘
//
// WriteFn fires once even for an empty fleet (its main input is the
// impulse), and takes a zero coverage when the combine emitted nothing.
func buildPipeline(plan scanPlan) *beam.Pipeline {
	p, s := beam.NewPipelineWithRoot()
	paths := beam.CreateList(s.Scope("logs"), plan.Paths)
	// Spread the logs over workers: without it a runner may fuse Create
	// and the analysis into one bundle on one worker.
	paths = beam.Reshuffle(s.Scope("spread"), paths)
	results, dead := beam.ParDo2(s.Scope("analyze"), &AnalyzeFn{OptionsJSON: plan.OptionsJSON}, paths)
	cov := beam.Combine(s.Scope("coverage"), &CoverageFn{}, results)
	beam.ParDo0(s.Scope("write"), &WriteFn{Out: plan.Out}, beam.Impulse(s),
		beam.SideInput{Input: results}, beam.SideInput{Input: dead}, beam.SideInput{Input: cov})
	return p
}

// AnalyzeFn analyses one log per element: a path (local, or a URL of a
// Beam filesystem such as gs://, s3://, memfs://) in, the log's
// fleet.Result as JSON out, or a DeadLetter as JSON on the second output.
// A remote log is copied to a local temporary file first (Beam's
// filesystems give streams; the log readers need a seekable file).
type AnalyzeFn struct {
	// OptionsJSON is fleetapp.Options as JSON ("" is the zero Options).
	// Exported, so that it travels to the workers with the DoFn.
	OptionsJSON string

	opts fleetapp.Options
}

// Setup decodes the options once per DoFn instance.
func (f *AnalyzeFn) Setup() error {
	var err error
	f.opts, err = decodeOptions(f.OptionsJSON)
	return err
}

// ProcessElement analyses the log at path and emits its result or a dead
// letter; it never fails the bundle for one log.
func (f *AnalyzeFn) ProcessElement(ctx context.Context, path string, emitResult, emitDead func(string)) {
	line, dead := analyzeOne(ctx, path, f.opts)
	if dead != nil {
		b, _ := json.Marshal(dead) // three strings: cannot fail
		emitDead(string(b))
	}
	if line != "" {
		emitResult(line)
	}
}

// decodeOptions parses fleetapp.Options from JSON text, refusing unknown
// fields so that a misspelt option is an error, not a silent default.
func decodeOptions(text string) (fleetapp.Options, error) {
	var o fleetapp.Options
	if strings.TrimSpace(text) == "" {
		return o, nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return o, fmt.Errorf("fleet options JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return o, fmt.Errorf("fleet options JSON: text after the object at offset %d", dec.InputOffset())
	}
	return o, nil
}

// analyzeOne is the per-log work of AnalyzeFn: fetch when remote, call
// fleetapp.AnalyzeLog with a recover around it, encode the result. A log
// that could not be fetched or whose analysis panicked gives a dead letter
// and, like any unreadable log, a failed gate (fleetapp.Unreadable).
func analyzeOne(ctx context.Context, path string, opts fleetapp.Options) (string, *DeadLetter) {
	local := path
	if isRemote(path) {
		tmp, cleanup, err := fetch(ctx, path)
		if err != nil {
			return encodeResult(fleetapp.Unreadable(path, err, opts)), &DeadLetter{Path: path, Stage: StageFetch, Error: err.Error()}
		}
		defer cleanup()
		local = tmp
	}
	r, err := safeAnalyze(ctx, local, opts)
	if err != nil {
		// The summary names the log as given, not its local copy.
		why := strings.ReplaceAll(firstLine(err.Error()), local, path)
		return encodeResult(fleetapp.Unreadable(path, errors.New(why), opts)), &DeadLetter{Path: path, Stage: StageAnalyze, Error: err.Error()}
	}
	if local != path {
		relabel(&r, local, path)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return "", &DeadLetter{Path: path, Stage: StageAnalyze, Error: fmt.Sprintf("encode result: %v", err)}
	}
	return string(b), nil
}

// encodeResult is r as JSON text ("" if it cannot be encoded).
func encodeResult(r fleet.Result) string {
	b, err := json.Marshal(r)
	if err != nil {
		return ""
	}
	return string(b)
}

// analyzeLog is the per-log library call; a variable so that a test can
// make it panic.
var analyzeLog = fleetapp.AnalyzeLog

// safeAnalyze calls analyzeLog and turns a panic into an error naming
// the log.
func safeAnalyze(ctx context.Context, path string, opts fleetapp.Options) (r fleet.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: panic in analysis: %v\n%s", path, p, debug.Stack())
		}
	}()
	return analyzeLog(ctx, path, opts), nil
}

// isRemote reports whether path is a URL of a Beam filesystem
// ("gs://b/x.mcap") rather than a local path.
func isRemote(path string) bool {
	i := strings.Index(path, "://")
	return i > 0 && !strings.ContainsAny(path[:i], `/\`)
}

// fetch copies the remote file at url into a new temporary folder,
// under the file's base name, and returns the local path and a function
// that removes the copy.
func fetch(ctx context.Context, url string) (string, func(), error) {
	fs, err := filesystem.New(ctx, url)
	if err != nil {
		return "", nil, err
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, url)
	if err != nil {
		return "", nil, fmt.Errorf("%s: open: %w", url, err)
	}
	defer rc.Close()
	dir, err := os.MkdirTemp("", "rigsync-beam-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	name := filepath.Base(url[strings.Index(url, "://")+3:])
	if name == "." || name == "/" || name == "" {
		name = "log"
	}
	local := filepath.Join(dir, name)
	f, err := os.Create(local)
	if err == nil {
		var n int64
		n, err = io.Copy(f, rc)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			err = fmt.Errorf("%s: copy to %s failed at byte %d: %w", url, local, n, err)
		}
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return local, cleanup, nil
}

// relabel replaces the temporary local path of a fetched log by the URL
// it came from, in the fields of the result that name the log.
func relabel(r *fleet.Result, local, url string) {
	s := &r.Summary
	s.Path = url
	s.Error = strings.ReplaceAll(s.Error, local, url)
	for i := range s.Gate.Reasons {
		s.Gate.Reasons[i] = strings.ReplaceAll(s.Gate.Reasons[i], local, url)
	}
	for i := range s.ReaderWarnings {
		s.ReaderWarnings[i] = strings.ReplaceAll(s.ReaderWarnings[i], local, url)
	}
	for i := range s.ReaderProblems {
		p := &s.ReaderProblems[i]
		if p.File == local {
			p.File = url
		}
		p.Message = strings.ReplaceAll(p.Message, local, url)
	}
	for i := range r.Scenes {
		if r.Scenes[i].Log == local {
			r.Scenes[i].Log = url
		}
	}
}

// CoverageFn is the Beam combiner of the fleet coverage: per-log results
// (JSON fleet.Result) in, the fleet.Coverage as JSON out. It only uses
// fleet.Coverage's Add and Merge, which are commutative, so any split of
// the logs over workers gives the coverage "rigsync fleet scan" computes.
type CoverageFn struct{}

// CreateAccumulator returns an empty coverage.
func (CoverageFn) CreateAccumulator() fleet.Coverage { return fleet.Coverage{} }

// AddInput adds one log's result.
func (CoverageFn) AddInput(c fleet.Coverage, line string) (fleet.Coverage, error) {
	var r fleet.Result
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return c, fmt.Errorf("coverage: decode result: %w", err)
	}
	c.Add(r)
	return c, nil
}

// MergeAccumulators merges two partial coverages.
func (CoverageFn) MergeAccumulators(a, b fleet.Coverage) fleet.Coverage {
	a.Merge(b)
	return a
}

// ExtractOutput encodes the coverage as JSON.
func (CoverageFn) ExtractOutput(c fleet.Coverage) (string, error) {
	b, err := json.Marshal(c)
	return string(b), err
}

// WriteFn writes the fleet folder once, from the results, dead letters
// and coverage it gets as side inputs: fleetapp.WriteOutputs's four files
// (the same bytes as "rigsync fleet scan" for the same results) and
// dead.jsonl (sorted, empty when nothing was dead-lettered). Out is a
// local folder or a Beam filesystem URL (gs://bucket/fleet); a URL is
// written through a local temporary folder.
type WriteFn struct {
	// Out is the output folder. Exported, so that it reaches the worker.
	Out string
}

// ProcessElement runs once (its main input is the pipeline's impulse).
func (w *WriteFn) ProcessElement(ctx context.Context, _ []byte, results, dead, cov func(*string) bool) error {
	var rs []fleet.Result
	var line string
	for results(&line) {
		var r fleet.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("write: decode result: %w", err)
		}
		rs = append(rs, r)
	}
	var deads []string
	for dead(&line) {
		deads = append(deads, line)
	}
	sort.Strings(deads)
	// A global combine over no logs emits nothing: the empty fleet's
	// coverage is the zero one, as "fleet scan" has it.
	var c fleet.Coverage
	n := 0
	for cov(&line) {
		n++
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return fmt.Errorf("write: decode coverage: %w", err)
		}
	}
	if n > 1 {
		return fmt.Errorf("write: %d coverages, want at most 1", n)
	}
	return writeFleet(ctx, w.Out, rs, c, deads)
}

// writeFleet writes the four fleet files and dead.jsonl into out.
func writeFleet(ctx context.Context, out string, rs []fleet.Result, c fleet.Coverage, deads []string) error {
	var deadText strings.Builder
	for _, d := range deads {
		deadText.WriteString(d + "\n")
	}
	dir := out
	if isRemote(out) {
		tmp, err := os.MkdirTemp("", "rigsync-beam-out-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := fleetapp.WriteOutputs(dir, rs, c); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, DeadFile), []byte(deadText.String())); err != nil {
		return err
	}
	if dir == out {
		return nil
	}
	return upload(ctx, dir, out)
}

// outputFiles are the files of a fleet folder that rigsync-beam writes.
var outputFiles = []string{fleetapp.LogsFile, fleetapp.ScenesFile, fleetapp.CoverageFile, fleetapp.ReportFile, DeadFile}

// upload copies the fleet files from the local folder dir to the Beam
// filesystem folder url.
func upload(ctx context.Context, dir, url string) error {
	fs, err := filesystem.New(ctx, url)
	if err != nil {
		return err
	}
	defer fs.Close()
	for _, name := range outputFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		dst := joinURL(url, name)
		wc, err := fs.OpenWrite(ctx, dst)
		if err != nil {
			return fmt.Errorf("%s: %w", dst, err)
		}
		_, err = wc.Write(data)
		if cerr := wc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", dst, err)
		}
	}
	return nil
}

// joinURL appends a file name to a folder URL.
func joinURL(dir, name string) string { return strings.TrimSuffix(dir, "/") + "/" + name }

// readOutput reads one file of a fleet folder (local or URL).
func readOutput(ctx context.Context, out, name string) ([]byte, error) {
	if !isRemote(out) {
		return os.ReadFile(filepath.Join(out, name))
	}
	fs, err := filesystem.New(ctx, out)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	return filesystem.Read(ctx, fs, joinURL(out, name))
}

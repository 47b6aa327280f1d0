package syncapp

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/sync/clock"
)

// Flags are the command-line values of "rigsync sync" as typed; Options
// checks and converts them.
type Flags struct {
	Policy      string
	Reference   string
	Tolerance   time.Duration
	QueueSize   int
	MaxInterval time.Duration
	AgePenalty  float64
	// LowerBounds, Latencies and Phases are TOPIC=DURATION values;
	// Clocks are NAME=OFFSET[,PPM] (clock.ParseModel); XCorr are A,B
	// topic pairs.
	LowerBounds []string
	Topics      []string
	Optional    []string
	OptTol      time.Duration
	Clocks      []string
	Latencies   []string
	Correct     string
	XCorr       []string
	Attach      []string
	// Plot is the --plot prefix of the pictures (used by the command).
	Plot   string
	Phases []string
	// Start and End are the --start/--end log-time window (see
	// logfile.ParseTime); Sensors and Exclude the --sensors/--exclude
	// selection (logfile.Selection).
	Start, End       string
	Sensors, Exclude []string
	// Strict makes any loss reading the log an error (--strict: a
	// losses.StrictError, exit code 3; used by the command).
	Strict bool
}

// UsageError is a flag value that is wrong (the command's exit code 2).
type UsageError struct{ Err error }

// Error is the wrapped error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e UsageError) Unwrap() error { return e.Err }

func usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// parseNamed reads NAME=VALUE values of the flag --flag, each VALUE by
// parse; a missing name or a bad value is a UsageError naming the flag.
func parseNamed[T any](flag string, vals []string, parse func(string) (T, error)) (map[string]T, error) {
	out := map[string]T{}
	for _, v := range vals {
		name, val, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, usagef("--%s %q: want NAME=VALUE", flag, v)
		}
		x, err := parse(val)
		if err != nil {
			return nil, usagef("--%s %q: %w", flag, v, err)
		}
		out[name] = x
	}
	return out, nil
}

// Options checks the flag values and converts them to the run's Options;
// a bad value is a UsageError. With the reference policy and --topics, the
// reference topic is grouped too (first).
func (o Flags) Options() (Options, error) {
	ro := Options{Window: logfile.Window{Start: o.Start, End: o.End}, Sensors: logfile.Selection{Sensors: o.Sensors, Exclude: o.Exclude},
		Topics: o.Topics, Policy: o.Policy, Reference: o.Reference, Tolerance: o.Tolerance,
		QueueSize: o.QueueSize, MaxInterval: o.MaxInterval, AgePenalty: o.AgePenalty, Correct: Correction(o.Correct),
		Optional: o.Optional, OptionalTolerance: o.OptTol, Attach: o.Attach}
	switch o.Policy {
	case "exact", "approximate":
	case "reference":
		if o.Reference == "" {
			return ro, usagef("--policy reference needs --reference TOPIC")
		}
		if len(o.Topics) > 0 && !slices.Contains(o.Topics, o.Reference) {
			ro.Topics = append([]string{o.Reference}, o.Topics...)
		}
	default:
		return ro, usagef("--policy %q: want exact, approximate or reference", o.Policy)
	}
	switch ro.Correct {
	case CorrectAuto, CorrectDrift, CorrectFull, CorrectNone:
	default:
		return ro, usagef("--correct %q: want auto, drift, full or none", o.Correct)
	}
	if o.QueueSize < 0 {
		return ro, usagef("--queue-size %d: want at least 1 (or 0 for automatic)", o.QueueSize)
	}
	if len(o.Optional) > 0 && o.Policy != "approximate" {
		return ro, usagef("--optional applies to --policy approximate only")
	}
	if o.MaxInterval < 0 || o.Tolerance < 0 || o.OptTol < 0 {
		return ro, usagef("--max-interval, --tolerance and --optional-tolerance must not be negative")
	}
	if !(o.AgePenalty >= 0) {
		return ro, usagef("--age-penalty %g: want ≥ 0", o.AgePenalty)
	}
	parseDur := func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err == nil && d < 0 {
			err = errors.New("negative duration")
		}
		return d, err
	}
	var err error
	if ro.LowerBounds, err = parseNamed("lower-bound", o.LowerBounds, parseDur); err != nil {
		return ro, err
	}
	if ro.Latency, err = parseNamed("latency", o.Latencies, parseDur); err != nil {
		return ro, err
	}
	if ro.Phase, err = parseNamed("phase", o.Phases, time.ParseDuration); err != nil {
		return ro, err
	}
	if len(ro.Phase) > 0 && o.Policy != "reference" {
		return ro, usagef("--phase applies to --policy reference only")
	}
	if ro.Clocks, err = parseNamed("clock", o.Clocks, clock.ParseModel); err != nil {
		return ro, err
	}
	for _, x := range o.XCorr {
		a, b, ok := strings.Cut(x, ",")
		if !ok || a == "" || b == "" || a == b {
			return ro, usagef("--xcorr %q: want TOPIC_A,TOPIC_B (two different topics)", x)
		}
		ro.XCorr = append(ro.XCorr, [2]string{a, b})
	}
	return ro, nil
}

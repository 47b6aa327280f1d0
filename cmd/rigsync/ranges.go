package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// maxWorkers caps fuse --workers: each worker holds a frame being encoded,
// so a million workers would hold a million frames.
const maxWorkers = 256

// maxQueue caps sync --queue-size (messages per topic waiting for a set).
const maxQueue = 10_000_000

// day is the longest time span a duration flag takes where a bound is
// needed at all.
const day = 24 * time.Hour

// flagRange is the accepted range of one numeric or duration flag, both
// ends inclusive unless open; what is shown to the user is text.
type flagRange struct {
	lo, hi         float64 // in the flag's unit (nanoseconds for durations)
	loOpen, hiOpen bool
	alsoNeg1       bool // -1 is accepted too ("always")
	anyNeg         bool // every negative value is accepted too ("never")
	text           string
}

func (r flagRange) ok(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	if r.text == anyValue.text {
		return true
	}
	if r.alsoNeg1 && v == -1 || r.anyNeg && v < 0 {
		return true
	}
	if v < r.lo || r.loOpen && v == r.lo || v > r.hi || r.hiOpen && v == r.hi {
		return false
	}
	return true
}

func ints(lo, hi int64) flagRange {
	return flagRange{lo: float64(lo), hi: float64(hi), text: fmt.Sprintf("%d..%d", lo, hi)}
}

func durs(lo, hi time.Duration, loOpen bool) flagRange {
	text := fmt.Sprintf("%v..%v", lo, hi)
	if loOpen {
		text = fmt.Sprintf("more than %v, at most %v", lo, hi)
	}
	return flagRange{lo: float64(lo), hi: float64(hi), loOpen: loOpen, text: text}
}

func floats(lo, hi float64, loOpen bool) flagRange {
	text := fmt.Sprintf("%g..%g", lo, hi)
	if loOpen {
		text = fmt.Sprintf("more than %g, at most %g", lo, hi)
	}
	return flagRange{lo: lo, hi: hi, loOpen: loOpen, text: text}
}

// anyValue is the range of a flag every value of whose type is valid (a
// seed).
var anyValue = flagRange{lo: math.Inf(-1), hi: math.MaxFloat64, text: "any"}

// flagRanges is every numeric and duration flag's range, by command path
// below the root ("calib check") and flag name. TestEveryNumericFlagHasRange
// keeps it complete. The commands' own checks (relations between flags,
// the meaning of 0) still run after these.
var flagRanges = map[string]map[string]flagRange{
	"cat": {"limit": ints(0, math.MaxInt64)},
	"info": {"max-scan": func() flagRange {
		r := ints(0, math.MaxInt64)
		r.alsoNeg1, r.text = true, "-1 (always) or 0.."+strconv.FormatInt(math.MaxInt64, 10)
		return r
	}()},
	"demo":              {"duration": durs(0, time.Hour, true), "seed": anyValue},
	"fixtures generate": {"duration": durs(0, time.Hour, true), "speed": floats(0, 100, false), "seed": anyValue},
	"sync": {
		"tolerance":          durs(0, day, false),
		"queue-size":         ints(0, maxQueue),
		"max-interval":       durs(0, day, false),
		"age-penalty":        floats(0, 1e6, false),
		"optional-tolerance": durs(0, day, false),
	},
	"fuse": {
		"tolerance":         durs(0, day, false),
		"keyframe-hz":       floats(0, 1000, true),
		"image-check-every": ints(0, math.MaxInt32),
		"workers":           ints(1, maxWorkers),
	},
	"fleet scan":  {"workers": ints(0, maxWorkers)}, // 0: every core
	"calib solve": {"ransac": floats(0, 1e9, false), "max-dist": floats(0, 1e9, true)},
	"calib check": {"window": durs(0, 365*day, true), "max-frames": ints(1, 1_000_000), "workers": ints(0, maxWorkers)}, // 0: every core

	"labels check": {"camera-every": ints(1, math.MaxInt32)},
	"live": {
		"speed":       floats(0, 1000, true),
		"duration":    durs(0, 365*day, false),
		"max-latency": durs(0, time.Hour, true),
		"tolerance":   durs(0, time.Hour, false),
	},
	"record": {
		"duration": durs(0, 365*day, false),
		"flush":    durs(0, time.Hour, true),
		"hold-for-sr": func() flagRange {
			r := durs(0, time.Hour, false)
			r.anyNeg, r.text = true, "negative (never) or 0s..1h0m0s"
			return r
		}(),
		"status-every": durs(0, day, true),
	},
}

// numericFlagTypes are the pflag types flagRanges must cover.
var numericFlagTypes = map[string]bool{
	"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true,
	"float32": true, "float64": true, "duration": true,
}

// checkFlagRanges refuses (exit 2) a numeric flag given a value outside
// its range, naming the flag and the range. Flags left at their defaults
// are not checked.
func checkFlagRanges(cmd *cobra.Command) error {
	ranges := flagRanges[commandKey(cmd)]
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		r, ok := ranges[f.Name]
		if !ok || err != nil {
			return
		}
		v, perr := flagNumber(f)
		if perr != nil {
			return // not numeric: its own parser has spoken
		}
		if !r.ok(v) {
			err = usageError{fmt.Errorf("%s: --%s %s: out of range (want %s; see %s --help)", commandKey(cmd), f.Name, f.Value.String(), r.text, cmd.CommandPath())}
		}
	})
	return err
}

// commandKey is cmd's path below the root ("calib check").
func commandKey(cmd *cobra.Command) string {
	key := ""
	for c := cmd; c.HasParent(); c = c.Parent() {
		if key == "" {
			key = c.Name()
		} else {
			key = c.Name() + " " + key
		}
	}
	return key
}

// flagNumber is a numeric flag's value as a float64 (a duration in ns).
func flagNumber(f *pflag.Flag) (float64, error) {
	if f.Value.Type() == "duration" {
		d, err := time.ParseDuration(f.Value.String())
		return float64(d), err
	}
	return strconv.ParseFloat(f.Value.String(), 64)
}

package logfile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rigsync/rigsync/formats/mcapread"
)

// ParseTime parses a --start/--end value: nanoseconds since the epoch
// (1700000000000000000), seconds with a decimal point (1700000000.25), or
// +DURATION after base, the log's first log time (+10s, +1m30s). "" is 0
// (unbounded).
func ParseTime(s string, base int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("bad time %q: %w", s, err)
		}
		return base + int64(d), nil
	}
	if strings.Contains(s, ".") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("bad time %q: want ns, seconds with a '.', or +DURATION", s)
		}
		return int64(f * 1e9), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad time %q: want ns, seconds with a '.', or +DURATION", s)
	}
	return n, nil
}

// StartTime returns the log time of the log's first message (ns, 0 for an
// empty log): from the MCAP summary or the ROS 1 bag's chunk index when
// they have it, else by reading the first message.
func (l *Log) StartTime() (int64, error) {
	if l.mc != nil {
		if info, ok := l.mc.Summary(); ok && info.Statistics != nil {
			return int64(info.Statistics.MessageStartTime), nil
		}
	}
	if l.b1 != nil && l.b1.Indexed() {
		if st := l.b1.Statistics(); st.MessageCount > 0 {
			return int64(st.MessageStartTime), nil
		}
	}
	it, err := l.Messages(mcapread.Options{})
	if err != nil {
		return 0, err
	}
	m, err := it.Next()
	if errors.Is(err, io.EOF) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return int64(m.LogTime), nil
}

// Window is a log-time window given as --start/--end text (see
// ParseTime), resolved against the first log time of several logs.
type Window struct {
	Start, End string
}

// Resolve returns the window's bounds in ns (0: unbounded). A relative
// bound (+DURATION) counts from the earliest first log time of logs.
func (w Window) Resolve(logs []*Log) (start, end int64, err error) {
	var base int64
	if strings.HasPrefix(w.Start, "+") || strings.HasPrefix(w.End, "+") {
		first := true
		for _, l := range logs {
			t, err := l.StartTime()
			if err != nil {
				return 0, 0, err
			}
			if first || t < base {
				base, first = t, false
			}
		}
	}
	if start, err = ParseTime(w.Start, base); err != nil {
		return 0, 0, fmt.Errorf("--start: %w", err)
	}
	if end, err = ParseTime(w.End, base); err != nil {
		return 0, 0, fmt.Errorf("--end: %w", err)
	}
	if start > 0 && end > 0 && end <= start {
		return 0, 0, fmt.Errorf("--end %s is not after --start %s", w.End, w.Start)
	}
	return start, end, nil
}

// Selection picks sensors by name: Sensors (empty: every one) minus
// Exclude. A name matches a topic when it is the topic itself, the
// topic's sensor (its frame id), or the topic's first path element
// ("cam_front" matches /cam_front/image_raw/compressed and
// /cam_front/camera_info).
type Selection struct {
	Sensors, Exclude []string
}

// Empty reports whether the selection keeps everything.
func (s Selection) Empty() bool { return len(s.Sensors) == 0 && len(s.Exclude) == 0 }

// Keep reports whether the topic (with its sensor name, "" when unknown)
// is selected.
func (s Selection) Keep(topic, sensor string) bool {
	if len(s.Sensors) > 0 && !matchAny(s.Sensors, topic, sensor) {
		return false
	}
	return !matchAny(s.Exclude, topic, sensor)
}

// Excluded reports whether Exclude names the topic.
func (s Selection) Excluded(topic, sensor string) bool { return matchAny(s.Exclude, topic, sensor) }

// Unknown returns the names of Sensors and Exclude that match no topic of
// the logs (sensorOf gives a topic's sensor name, or "").
func (s Selection) Unknown(logs []*Log, sensorOf func(topic string) string) []string {
	var out []string
	for _, name := range append(append([]string(nil), s.Sensors...), s.Exclude...) {
		found := false
		for _, l := range logs {
			for _, t := range l.Catalog() {
				sensor := ""
				if sensorOf != nil {
					sensor = sensorOf(t.Topic)
				}
				found = found || match(name, t.Topic, sensor)
			}
		}
		if !found {
			out = append(out, name)
		}
	}
	return out
}

func matchAny(names []string, topic, sensor string) bool {
	for _, n := range names {
		if match(n, topic, sensor) {
			return true
		}
	}
	return false
}

func match(name, topic, sensor string) bool {
	if name == "" {
		return false
	}
	if name == topic || name == sensor {
		return true
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(topic, "/"), "/")
	return first == strings.TrimPrefix(name, "/")
}

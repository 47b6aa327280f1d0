// Package catapp runs "rigsync cat": it opens one log (MCAP, ROS 1 bag or rosbag2; formats/logfile), checks the
// selected topics against it, parses the --start/--end log times
// (ParseLogTime), decodes every selected message (formats/decode) and
// writes it as one JSON object per line (a Line), in log-time order.
// Flags, help text and the exit code are the command's (cmd/rigsync).
package catapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/jsonvalue"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Options are the settings of one cat run (the flags of "rigsync cat").
type Options struct {
	// Topics selects the topics to print (empty: every topic); each must
	// be in the log.
	Topics []string
	// Start and End select log times, [Start, End): ParseLogTime's forms,
	// "" for the log's start or end.
	Start, End string
	// Full prints large arrays and byte fields in full instead of a
	// summary.
	Full bool
	// Limit stops after this many messages (0: all).
	Limit int64
}

// UsageError is an option that is wrong for the log (the command's exit
// code 2): a bad time, a topic the log does not have.
type UsageError struct{ Err error }

// Error is the wrapped error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e UsageError) Unwrap() error { return e.Err }

// DecodeError says that N of Total messages printed could not be decoded
// (each was printed with its "error" field).
type DecodeError struct{ N, Total int64 }

// Error says how many messages failed.
func (e DecodeError) Error() string {
	return fmt.Sprintf("%d of %d messages could not be decoded", e.N, e.Total)
}

// Line is one printed message: its envelope, and the decoded message or
// the decode error.
type Line struct {
	Topic       string `json:"topic"`
	Type        string `json:"type"`
	Modality    string `json:"modality"`
	LogTime     int64  `json:"log_time_ns"`
	PublishTime int64  `json:"publish_time_ns"`
	Stamp       int64  `json:"stamp_ns"`
	StampClock  string `json:"stamp_clock"`
	FrameID     string `json:"frame_id"`
	Sequence    uint32 `json:"sequence"`
	Message     any    `json:"message,omitempty"`
	Error       string `json:"error,omitempty"`
}

// ParseLogTime parses a --start/--end value: nanoseconds
// (1700000000000000000), seconds with a decimal point (964.25), or
// +DURATION after base, the log's first time. "" is 0; a bad value is a
// UsageError.
func ParseLogTime(s string, base int64) (int64, error) {
	t, err := logfile.ParseTime(s, base)
	if err != nil {
		return 0, UsageError{err}
	}
	return t, nil
}

// Run writes the selected messages of the log at path to w, one JSON Line
// each (w is written once per line: give a buffered writer). Once every message was read it returns the reader's warnings
// (damage skipped), with a DecodeError when messages failed to decode;
// any other error ends the run without warnings.
func Run(ctx context.Context, w io.Writer, path string, o Options) ([]string, error) {
	r, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := checkTopics(r, path, o.Topics); err != nil {
		return nil, err
	}
	var base int64
	if strings.HasPrefix(o.Start, "+") || strings.HasPrefix(o.End, "+") {
		if base, err = firstLogTime(r); err != nil {
			return nil, err
		}
	}
	start, err := ParseLogTime(o.Start, base)
	if err != nil {
		return nil, err
	}
	end, err := ParseLogTime(o.End, base)
	if err != nil {
		return nil, err
	}
	it, err := r.Messages(mcapread.Options{Topics: o.Topics, Start: start, End: end})
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(w)
	var decs decode.Decoders
	sum := jsonvalue.Options{Summarize: !o.Full}
	var n, failed int64
	done := ctx.Done()
	for o.Limit == 0 || n < o.Limit {
		// Every message: decoding a large one to JSON takes a while, and
		// Ctrl-C must stop cat within a second.
		select {
		case <-done:
			return nil, ctx.Err()
		default:
		}
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		n++
		env, derr := decs.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		line := Line{Topic: env.Topic, Type: env.Type, Modality: env.Modality.String(), LogTime: env.LogTime,
			PublishTime: env.PublishTime, Stamp: env.Stamp, StampClock: env.StampClock, FrameID: env.FrameID, Sequence: env.Sequence}
		if derr == nil {
			dec, _ := decs.Decoder(m.Channel.Channel, m.Channel.Schema)
			v, verr := dec.Value(m.Data)
			if verr != nil {
				derr = verr
			} else {
				line.Message = jsonvalue.Convert(v, sum)
			}
		}
		if derr != nil {
			failed++
			line.Error = derr.Error()
		}
		if err := enc.Encode(line); err != nil {
			return nil, err
		}
	}
	var warns []string
	for _, wn := range r.Warnings() {
		warns = append(warns, wn.String())
	}
	if failed > 0 {
		return warns, DecodeError{N: failed, Total: n}
	}
	return warns, nil
}

// firstLogTime is the log time of the first message (for +DURATION times).
func firstLogTime(r *logfile.Log) (int64, error) {
	if mc := r.MCAP(); mc != nil {
		if info, ok := mc.Summary(); ok && info.Statistics != nil {
			return int64(info.Statistics.MessageStartTime), nil
		}
	}
	it, err := r.Messages(mcapread.Options{})
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

// checkTopics is a UsageError naming the log's topics when a topic is
// not one of them (instead of printing nothing).
func checkTopics(r *logfile.Log, path string, topics []string) error {
	have := map[string]bool{}
	var all []string
	for _, ch := range r.Channels() {
		if !have[ch.Topic] {
			have[ch.Topic] = true
			all = append(all, ch.Topic)
		}
	}
	for _, t := range topics {
		if !have[t] {
			return UsageError{fmt.Errorf("--topic %q is not in %s; its topics: %s", t, path, strings.Join(all, ", "))}
		}
	}
	return nil
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/jsonvalue"
	"github.com/rigsync/rigsync/formats/mcapread"
)

type catOptions struct {
	Topics     []string
	Start, End string
	Full       bool
	Limit      int64
}

func newCatCommand(g *globalOptions) *cobra.Command {
	var o catOptions
	c := &cobra.Command{
		Use:   "cat LOG.mcap",
		Short: "Print decoded messages, one JSON object per line",
		Long: `cat decodes every message (ROS 2 CDR, ROS 1, Foxglove protobuf or JSON; types
without a typed path are decoded generically) and prints one JSON object per
line, in log-time order:

  {"topic":..., "type":..., "modality":..., "log_time_ns":..., "publish_time_ns":...,
   "stamp_ns":..., "stamp_clock":..., "frame_id":..., "sequence":..., "message":{...}}

Arrays longer than 16 elements and byte fields are summarised
({"len": N, "head": [...]}, {"bytes": N, "head_hex": "..."}) unless --full.
NaN and ±Inf are written as the strings "NaN", "+Inf", "-Inf".

--start and --end select log times: nanoseconds (1700000000000000000),
seconds with a decimal point (964.25), or an offset from the first message
(+2.5s, +1m). --start is inclusive, --end exclusive. A --topic the log
does not have is a usage error (exit 2) that lists the topics it has.

A message that fails to decode is printed with an "error" field instead of
"message"; the command goes on, and exits 1 at the end if any failed.`,
		Example: `  rigsync cat drive.mcap --topic /imu --limit 5
  rigsync cat drive.mcap --topic /lidar_top --start +2s --end +3s
  rigsync cat drive.mcap --topic /tf_static --full | jq .message`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runCat(cmd, g, o, args[0]) },
	}
	f := c.Flags()
	f.StringSliceVarP(&o.Topics, "topic", "t", nil, "only these topics (repeatable or comma separated)")
	f.StringVar(&o.Start, "start", "", "first log time (ns, seconds with '.', or +DURATION from the first message)")
	f.StringVar(&o.End, "end", "", "end log time, exclusive (same forms as --start)")
	f.BoolVar(&o.Full, "full", false, "print large arrays and byte fields in full")
	f.Int64Var(&o.Limit, "limit", 0, "stop after this many messages (0: all)")
	return c
}

// parseLogTime parses a --start/--end value; base is the log's first time.
func parseLogTime(s string, base int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, usageError{fmt.Errorf("bad time %q: %w", s, err)}
		}
		return base + int64(d), nil
	}
	if strings.Contains(s, ".") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, usageError{fmt.Errorf("bad time %q: %w", s, err)}
		}
		return int64(f * 1e9), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usageError{fmt.Errorf("bad time %q: want ns, seconds with a '.', or +DURATION", s)}
	}
	return n, nil
}

type catLine struct {
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

func runCat(cmd *cobra.Command, g *globalOptions, o catOptions, path string) error {
	r, err := mcapread.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := checkTopics(r, path, o.Topics); err != nil {
		return err
	}
	var base int64
	if strings.HasPrefix(o.Start, "+") || strings.HasPrefix(o.End, "+") {
		if base, err = firstLogTime(r); err != nil {
			return err
		}
	}
	start, err := parseLogTime(o.Start, base)
	if err != nil {
		return err
	}
	end, err := parseLogTime(o.End, base)
	if err != nil {
		return err
	}
	it, err := r.Messages(mcapread.Options{Topics: o.Topics, Start: start, End: end})
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(g.stdout, 1<<16)
	defer w.Flush()
	enc := json.NewEncoder(w)
	var decs decode.Decoders
	sum := jsonvalue.Options{Summarize: !o.Full}
	var n, failed int64
	ctx := cmd.Context()
	for o.Limit == 0 || n < o.Limit {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		n++
		env, derr := decs.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		line := catLine{Topic: env.Topic, Type: env.Type, Modality: env.Modality.String(), LogTime: env.LogTime,
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
			return err
		}
	}
	for _, wn := range r.Warnings() {
		fmt.Fprintln(g.stderr, "warning:", wn.String())
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d messages could not be decoded", failed, n)
	}
	return nil
}

// firstLogTime is the log time of the first message (for +DURATION times).
func firstLogTime(r *mcapread.Reader) (int64, error) {
	if info, ok := r.Summary(); ok && info.Statistics != nil {
		return int64(info.Statistics.MessageStartTime), nil
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

// checkTopics is a usage error naming the log's topics when a --topic is
// not one of them (instead of printing nothing).
func checkTopics(r *mcapread.Reader, path string, topics []string) error {
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
			return usageError{fmt.Errorf("--topic %q is not in %s; its topics: %s", t, path, strings.Join(all, ", "))}
		}
	}
	return nil
}

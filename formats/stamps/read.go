package stamps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Stream is the stamps of one channel in log order.
type Stream struct {
	Topic string
	// Sensor is the header frame id of the first stamped message.
	Sensor string
	// Stamps are the raw header stamps and Logs the log times (ns).
	Stamps, Logs []int64
	// Rates holds the angular velocity (rad/s, sensor axes) per stamped
	// message of IMU and odometry streams (nil for others), for
	// cross-correlation.
	Rates [][3]float64
	// Unstamped counts messages without a header stamp, Undecodable those
	// that failed to decode.
	Unstamped, Undecodable int
}

// Event is one stamped message in log order: the index of its stream in
// Log.Streams and its position in that stream's Stamps.
type Event struct {
	Stream int32
	Index  int32
}

// Log is the stamps of a log's channels.
type Log struct {
	Streams []*Stream
	// Order lists every stamped message in log order.
	Order []Event
	// Warnings are the reader's warnings after the reading: damage read
	// around, what was lost and where.
	Warnings []mcapread.Warning
}

// errPrefix starts the errors of Read. It is the name of the package this
// reader came from (sync/syncrun, issue 13), kept so that the error texts
// of "rigsync sync" and "rigsync fuse --clock auto" stay as they were.
const errPrefix = "syncrun: "

// Read reads the header stamps of the given topics (all channels when
// topics is empty) from an open MCAP reader. progress, if not nil, is
// called with the number of messages read so far.
func Read(ctx context.Context, r *mcapread.Reader, topics []string, progress func(int64)) (*Log, error) {
	return ReadLog(ctx, logfile.FromMCAP(r, ""), mcapread.Options{Topics: topics}, progress)
}

// ReadLog is Read of a log in any format formats/logfile opens (an MCAP
// file, a ROS 1 bag, a rosbag2 bag), of the messages sel selects (topics,
// all when empty; a log-time window read through the index).
func ReadLog(ctx context.Context, r *logfile.Log, sel mcapread.Options, progress func(int64)) (*Log, error) {
	it, err := r.Messages(sel)
	if err != nil {
		return nil, fmt.Errorf(errPrefix+"%w", err)
	}
	var ds decode.Decoders
	lg := &Log{}
	byTopic := map[string]int{}
	var n int64
	done := ctx.Done()
	for {
		// Every message: a fused log's messages are large, and Ctrl-C
		// must stop the reading within a second.
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
			return nil, fmt.Errorf(errPrefix+"reading: %w", err)
		}
		n++
		if n%4096 == 0 && progress != nil {
			progress(n)
		}
		k, ok := byTopic[m.Channel.Topic]
		if !ok {
			k = len(lg.Streams)
			byTopic[m.Channel.Topic] = k
			lg.Streams = append(lg.Streams, &Stream{Topic: m.Channel.Topic})
		}
		s := lg.Streams[k]
		env, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			s.Undecodable++
			continue
		}
		if env.StampClock == formats.ClockLog {
			s.Unstamped++
			continue
		}
		if s.Sensor == "" {
			s.Sensor = env.FrameID
		}
		switch p := env.Payload.(type) {
		case *formats.IMU:
			w := p.AngularVelocity
			s.Rates = append(s.Rates, [3]float64{w.X, w.Y, w.Z})
		case *formats.Odometry:
			w := p.AngularVelocity
			s.Rates = append(s.Rates, [3]float64{w.X, w.Y, w.Z})
		}
		lg.Order = append(lg.Order, Event{int32(k), int32(len(s.Stamps))})
		s.Stamps = append(s.Stamps, env.Stamp)
		s.Logs = append(s.Logs, env.LogTime)
	}
	if progress != nil {
		progress(n)
	}
	lg.Warnings = r.Warnings()
	return lg, nil
}

// Stamped returns the topics that have header stamps, sorted.
func (lg *Log) Stamped() []string {
	var out []string
	for _, s := range lg.Streams {
		if len(s.Stamps) > 0 {
			out = append(out, s.Topic)
		}
	}
	slices.Sort(out)
	return out
}

// Stream returns the named stream, or nil.
func (lg *Log) Stream(topic string) *Stream {
	for _, s := range lg.Streams {
		if s.Topic == topic {
			return s
		}
	}
	return nil
}

package syncapp

import (
	"context"
	"fmt"
	"slices"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/stamps"
)

// TopicError is a topic named in Options (grouped, attached or
// cross-correlated) that the log does not hold.
type TopicError struct {
	Topic string
}

func (e *TopicError) Error() string { return fmt.Sprintf("topic %q is not in the log", e.Topic) }

// Run reads the log at path (MCAP, ROS 1 bag or rosbag2) (Read) and groups it (Group).
func Run(ctx context.Context, path string, o Options) (*Report, error) {
	lg, err := Read(ctx, path, o)
	if err != nil {
		return nil, err
	}
	return Group(lg, o)
}

// Read opens the log at path (formats/logfile: MCAP, ROS 1 bag or rosbag2) and reads the stamps that Group needs
// for o: those of the grouped, attached and cross-correlated topics, or of
// every channel when o.Topics is empty. A named topic that the log does
// not hold is a *TopicError. o.Progress, if set, counts the messages read.
func Read(ctx context.Context, path string, o Options) (*stamps.Log, error) {
	r, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	read := o.Topics
	if len(read) > 0 {
		read = append(slices.Clone(read), o.Attach...)
		for _, p := range o.XCorr {
			read = append(read, p[0], p[1])
		}
	}
	lg, err := stamps.ReadLog(ctx, r, read, o.Progress)
	if err != nil {
		return nil, err
	}
	for _, t := range read {
		if lg.Stream(t) == nil {
			return nil, &TopicError{Topic: t}
		}
	}
	return lg, nil
}

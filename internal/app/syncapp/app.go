package syncapp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
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
	start, end, err := o.Window.Resolve([]*logfile.Log{r})
	if err != nil {
		return nil, UsageError{err}
	}
	read := o.Topics
	if len(read) > 0 {
		read = append(slices.Clone(read), o.Attach...)
		for _, p := range o.XCorr {
			read = append(read, p[0], p[1])
		}
	} else if !o.Sensors.Empty() {
		if unknown := o.Sensors.Unknown([]*logfile.Log{r}, nil); len(unknown) > 0 {
			return nil, UsageError{fmt.Errorf("--sensors/--exclude %s: not a topic or sensor of %s", strings.Join(unknown, ", "), path)}
		}
		for _, t := range r.Catalog() {
			if o.Sensors.Keep(t.Topic, "") {
				read = append(read, t.Topic)
			}
		}
		if len(read) == 0 {
			return nil, UsageError{fmt.Errorf("--sensors/--exclude select no topic of %s", path)}
		}
		read = append(read, o.Attach...)
	}
	lg, err := stamps.ReadLog(ctx, r, mcapread.Options{Topics: read, Start: start, End: end}, o.Progress)
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

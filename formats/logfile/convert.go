package logfile

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

// WriteROS1 writes the ROS 2 MCAP log behind r as a ROS 1 bag at path
// (rosbag1.FromMCAP: messages transcoded from CDR to ROS 1, record time =
// MCAP log time) and returns the number of messages written. It exists to
// write the same drive in several formats (fixture logs, tests).
func WriteROS1(r *mcapread.Reader, path string, opts rosbag1.WriterOptions) (n int, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("logfile: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("logfile: %w", cerr)
		}
	}()
	w, err := rosbag1.NewWriter(f, opts)
	if err != nil {
		return 0, err
	}
	n, err = rosbag1.FromMCAP(r, w)
	if err != nil {
		return n, err
	}
	return n, w.Close()
}

// WriteROS2 writes the ROS 2 MCAP log behind r as a rosbag2 bag folder
// dir with SQLite storage (rosbag2.Create; dir must not exist): the same
// topics, types, definitions (the MCAP schemas), receive times (MCAP log
// time) and CDR bytes. It returns the number of messages written.
func WriteROS2(r *mcapread.Reader, dir string, opts rosbag2.WriterOptions) (int, error) {
	w, err := rosbag2.Create(dir, opts)
	if err != nil {
		return 0, err
	}
	for _, ch := range r.Channels() {
		if ch.Schema == nil || ch.MessageEncoding != "cdr" {
			w.Close()
			return 0, fmt.Errorf("logfile: %s: topic %s is not ROS 2 CDR (encoding %q)", r.Name(), ch.Topic, ch.MessageEncoding)
		}
		if err := w.AddTopic(ch.Topic, ch.Schema.Name, ch.Schema.Data); err != nil {
			w.Close()
			return 0, err
		}
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		w.Close()
		return 0, err
	}
	n := 0
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			err = w.Write(m.Channel.Topic, int64(m.LogTime), m.Data)
		}
		if err != nil {
			w.Close()
			return n, err
		}
		n++
	}
	return n, w.Close()
}

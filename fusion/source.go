package fusion

import (
	"fmt"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// logName names the i-th log in errors: names[i], or "log N" (N = i+1).
func logName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("log %d", i+1)
}

// inputs returns the pipeline's logs: Logs, else Readers, or Reader
// alone, as Logs named by Names or "log N".
func (p *Pipeline) inputs() []*logfile.Log {
	if len(p.Logs) > 0 {
		return p.Logs
	}
	rs := p.Readers
	if len(rs) == 0 && p.Reader != nil {
		rs = []*mcapread.Reader{p.Reader}
	}
	var out []*logfile.Log
	for i, r := range rs {
		out = append(out, logfile.FromMCAP(r, logName(p.Names, i)))
	}
	return out
}

// inputName names the i-th log of a run in errors: Names[i], else the
// Log's name.
func (p *Pipeline) inputName(inputs []*logfile.Log, i int) string {
	if i >= 0 && i < len(p.Names) && p.Names[i] != "" {
		return p.Names[i]
	}
	if i >= 0 && i < len(inputs) {
		return inputs[i].Name()
	}
	return logName(nil, i)
}

// InputProblem is damage found in an input log (a truncated file, a chunk
// that does not decompress or whose CRC does not match, ...): what was
// read around it was fused, what it holds was lost. Times are MCAP log
// times (ns, the recorder's clock).
type InputProblem struct {
	// Severity is "error" when messages were (or may have been) lost,
	// "warning" when none were (e.g. a summary that had to be ignored).
	Severity string `json:"severity"`
	// Kind is "truncated" when reading the file stopped at Offset (nothing
	// after it was read), "damaged" when a record was skipped and reading
	// went on after it.
	Kind string `json:"kind"`
	// File is the log, as named on the command line.
	File string `json:"file"`
	// Offset is the byte offset in File of the record concerned (where
	// reading stopped, for "truncated"); -1 when the reader names no
	// offset (a rosbag2 bag names the row in Message).
	Offset int64 `json:"offset"`
	// UnreadBytes is, for "truncated", how many bytes of the file after
	// Offset were not read; 0 otherwise.
	UnreadBytes int64 `json:"unread_bytes,omitempty"`
	// Topic is the topic concerned, if known.
	Topic string `json:"topic,omitempty"`
	// LostMessages is how many messages were lost; -1 when it cannot be
	// told.
	LostMessages int `json:"lost_messages"`
	// LostFromLogTimeNS and LostToLogTimeNS bound the log times of the lost
	// messages when known (0: unknown). For "truncated", LostFromLogTimeNS
	// is the log time of the last message read: every message after it
	// in File is lost, up to an unknown end.
	LostFromLogTimeNS int64 `json:"lost_from_log_time_ns,omitempty"`
	LostToLogTimeNS   int64 `json:"lost_to_log_time_ns,omitempty"`
	// Message says what happened and what was lost, in words.
	Message string `json:"message"`
}

// InputProblems returns the damage met so far while reading the logs rs
// (names, optional, one per log, name the logs; the warning's own file
// name otherwise), in log order. Call it after the reading (Pipeline.Run):
// damage inside chunks is found when they are decompressed. A ROS 1 bag
// reports like an MCAP file (offsets of chunk records); a rosbag2 bag
// reports per storage file, with rows or offsets where known.
func InputProblems(rs []*logfile.Log, names []string) []InputProblem {
	var out []InputProblem
	for i, r := range rs {
		for _, w := range r.Warnings() {
			p := InputProblem{Severity: "error", Kind: "damaged", File: w.File, Offset: w.Offset, Topic: w.Topic,
				LostMessages: w.LostMessages, LostFromLogTimeNS: int64(w.LostStart), LostToLogTimeNS: int64(w.LostEnd),
				Message: w.String()}
			if w.LostMessages == 0 && !w.Stopped {
				p.Severity = "warning"
			}
			if i < len(names) && names[i] != "" {
				p.File = names[i]
			}
			if w.Stopped {
				p.Kind = "truncated"
				if size := r.Size(); w.Offset >= 0 {
					p.UnreadBytes = max(size-w.Offset, 0)
					p.Message += fmt.Sprintf("; %d of the file's %d bytes (%.1f%%) not read",
						p.UnreadBytes, size, 100*float64(p.UnreadBytes)/float64(max(size, 1)))
				}
				if st := r.Statistics(); st != nil && st.MessageCount > 0 {
					p.LostFromLogTimeNS, p.LostToLogTimeNS = int64(st.MessageEndTime), 0
					p.Message += fmt.Sprintf("; every message after log time %.3f s (the last one read) is lost", float64(st.MessageEndTime)/1e9)
				} else {
					p.Message += "; no message could be read"
				}
			} else if w.LostEnd > 0 {
				p.Message += fmt.Sprintf("; messages of log time %.3f … %.3f s lost", float64(w.LostStart)/1e9, float64(w.LostEnd)/1e9)
			}
			out = append(out, p)
		}
	}
	return out
}

package mcapread

import (
	"fmt"
	"slices"
)

// WarningLog collects the warnings of one file in the order they are met,
// each (offset, topic, text) once: a reader that meets the same damage
// again (a second pass, an index and a scan) reports it once. rigsync's
// readers of other log formats (formats/rosbag1) keep theirs in one too.
// The zero value is ready to use; it is not safe for concurrent use.
type WarningLog struct {
	// File is the file name the warnings carry.
	File string
	list []Warning
	seen map[string]bool
}

// Add records a warning at byte offset off (about topic, if any; lost
// messages, or Unknown) and returns its index, or -1 when the same one was
// recorded before.
func (l *WarningLog) Add(off int64, topic string, lost int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	key := fmt.Sprintf("%d\x00%s\x00%s", off, topic, msg)
	if l.seen[key] {
		return -1
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[key] = true
	l.list = append(l.list, Warning{File: l.File, Offset: off, Topic: topic, Msg: msg, LostMessages: lost})
	return len(l.list) - 1
}

// At returns warning i (an index Add returned; -1: nil), to add what was
// learnt after it (LostMessages, the lost time range, Stopped).
func (l *WarningLog) At(i int) *Warning {
	if i < 0 {
		return nil
	}
	return &l.list[i]
}

// Stopped marks warning i (-1: none) as where reading the file stopped.
func (l *WarningLog) Stopped(i int) {
	if w := l.At(i); w != nil {
		w.Stopped = true
	}
}

// LostRange records on warning i (-1: none) the log time range of the
// messages it lost.
func (l *WarningLog) LostRange(i int, start, end uint64) {
	if w := l.At(i); w != nil {
		w.LostStart, w.LostEnd = start, end
	}
}

// List returns a copy of the warnings.
func (l *WarningLog) List() []Warning { return slices.Clone(l.list) }

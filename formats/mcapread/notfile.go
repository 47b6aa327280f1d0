package mcapread

import (
	"fmt"
	"io/fs"
)

// NotRegularError is a log path that names a named pipe (FIFO), a socket
// or a device instead of a file. Logs are read by seeking in them (the
// summary at the end first), which a pipe cannot do, and opening a FIFO
// that no process writes blocks forever in open(2): the readers refuse
// such a path from its stat, before opening it.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

// Error names the path and what it is.
func (e *NotRegularError) Error() string {
	what := "not a regular file"
	switch {
	case e.Mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), not a file"
	case e.Mode&fs.ModeSocket != 0:
		what = "a socket, not a file"
	case e.Mode&fs.ModeDevice != 0:
		what = "a device, not a file"
	}
	return fmt.Sprintf("%s is %s: logs are read by seeking in them; copy it to a file first", e.Path, what)
}

// CheckRegular returns a *NotRegularError when st (from os.Stat of path)
// is neither a regular file nor a folder.
func CheckRegular(path string, st fs.FileInfo) error {
	if st.IsDir() || st.Mode().IsRegular() {
		return nil
	}
	return &NotRegularError{Path: path, Mode: st.Mode()}
}

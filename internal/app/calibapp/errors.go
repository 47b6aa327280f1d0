package calibapp

import "io"

// UsageError marks an error as the options or arguments being wrong (the
// command's exit code 2).
type UsageError struct{ Err error }

// Error is the marked error's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the error it marks.
func (e UsageError) Unwrap() error { return e.Err }

// stickyWriter remembers the first write error and writes nothing after
// it, so that a text report can be written with plain Fprintf calls and
// its error checked once.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

package decode

// Stats count what a decoding Source (formats/mcapsource, formats/rosbag1,
// formats/rosbag2) did so far.
type Stats struct {
	// Messages handed out, and messages skipped because they could not be
	// decoded (FirstError is the first such error).
	Messages, Undecodable int
	FirstError            string
}

// Skipped counts a message that could not be decoded, keeping the text of
// the first such error.
func (s *Stats) Skipped(err error) {
	s.Undecodable++
	if s.FirstError == "" {
		s.FirstError = err.Error()
	}
}

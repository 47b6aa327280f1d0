package decode

import (
	"errors"
	"testing"
)

func TestStatsSkipped(t *testing.T) {
	var s Stats
	s.Skipped(errors.New("first"))
	s.Skipped(errors.New("second"))
	if s.Undecodable != 2 || s.FirstError != "first" || s.Messages != 0 {
		t.Errorf("stats %+v, want 2 undecodable, the first error kept", s)
	}
}

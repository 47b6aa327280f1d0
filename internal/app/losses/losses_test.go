package losses_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/internal/app/losses"
)

func TestFromWarningsAndText(t *testing.T) {
	ws := []mcapread.Warning{
		{File: "a.mcap", Offset: 4096, Msg: "chunk skipped: crc mismatch", LostMessages: 12, LostStart: 5, LostEnd: 9},
		{File: "a.mcap", Offset: 9000, Msg: "truncated record", LostMessages: mcapread.Unknown, Stopped: true},
		{File: "b.mcap", Offset: 100, Topic: "/imu", Msg: "3 duplicate messages skipped", Duplicates: 3},
	}
	probs := losses.FromWarnings(ws)
	for i, tc := range []struct{ severity, kind string }{{"error", "damaged"}, {"error", "truncated"}, {"warning", "damaged"}} {
		if probs[i].Severity != tc.severity || probs[i].Kind != tc.kind || probs[i].Message != ws[i].String() {
			t.Errorf("problem %d: %+v, want %s %s", i, probs[i], tc.severity, tc.kind)
		}
	}
	var b bytes.Buffer
	losses.WriteText(&b, probs)
	for _, want := range []string{"lost: 3 problem(s)", "a.mcap: offset 4096: chunk skipped", "b.mcap: offset 100: topic /imu:"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	losses.WriteText(&b, nil)
	if b.Len() != 0 || len(losses.FromWarnings(nil)) != 0 || losses.FromWarnings(nil) == nil {
		t.Errorf("no warnings: text %q", b.String())
	}
	for _, tc := range []struct {
		strict bool
		n      int
		want   bool
	}{{false, 3, false}, {true, 0, false}, {true, 3, true}} {
		err := losses.Strict(tc.strict, probs[:tc.n])
		var se losses.StrictError
		if errors.As(err, &se) != tc.want {
			t.Errorf("Strict(%v, %d problems) = %v", tc.strict, tc.n, err)
		}
		if tc.want && (se.N != 3 || len(se.Files) != 2) {
			t.Errorf("StrictError %+v: want 3 problems in 2 files", se)
		}
	}
}

package fleet

import (
	"errors"
	"fmt"
	"testing"
)

var queryScenes = map[string]Scene{
	"radar-fast": {Kind: KindDegraded, Sensor: "radar_front", Tag: "radar_front degraded 1.5 s", DurationS: 1.5, SpeedMean: 12, SpeedMin: 11, SpeedMax: 13, StartS: 2, EndS: 3.5},
	"radar-slow": {Kind: KindDegraded, Sensor: "radar_front", Tag: "radar_front degraded 2.0 s", DurationS: 2, SpeedMean: 4, StartS: 5, EndS: 7},
	"cam-drop":   {Kind: KindDropout, Sensor: "cam_left", Tag: "cam_left dropout 3.2 s", DurationS: 3.2, SpeedMean: 8},
	"night":      {Kind: KindNight, Tag: "night", DurationS: 60, SpeedMean: 9},
	"turn":       {Kind: KindSharpTurn, Tag: "sharp turn 22 °/s", DurationS: 1, SpeedMean: 6, Value: 22},
	"stop":       {Kind: KindStop, Tag: "stop 4.0 s", DurationS: 4},
}

// TestQuery: each query against the scenes, which match.
func TestQuery(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"radar_front degraded and speed > 10", []string{"radar-fast"}},
		{"radar_front degraded speed > 10", []string{"radar-fast"}},
		{"radar_* and not speed > 10", []string{"radar-slow"}},
		{"dropout or night", []string{"cam-drop", "night"}},
		{"(dropout or degraded) and duration >= 2", []string{"cam-drop", "radar-slow"}},
		{"fault", []string{"cam-drop", "radar-fast", "radar-slow"}},
		{"not fault", []string{"night", "stop", "turn"}},
		{"sharp_turn and value > 20", []string{"turn"}},
		{"turn", []string{"turn"}},
		{"STOP", []string{"stop"}},
		{"speed = 0", []string{"stop"}},
		{"speed != 0 and speed <= 6", []string{"radar-slow", "turn"}},
		{"start >= 2 and end < 4", []string{"radar-fast"}},
		{"speed_min > 10.5 and speed_max < 14", []string{"radar-fast"}},
		{"duration > 3s", []string{"cam-drop", "night", "stop"}},
		{"not not night", []string{"night"}},
		{"cam_right", nil},
	} {
		q, err := ParseQuery(tc.q)
		if err != nil {
			t.Errorf("%q: %v", tc.q, err)
			continue
		}
		var got []string
		for _, name := range []string{"cam-drop", "night", "radar-fast", "radar-slow", "stop", "turn"} {
			if q.Match(queryScenes[name]) {
				got = append(got, name)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q (%s): got %v, want %v", tc.q, q, got, tc.want)
		}
		// The printed form parses to the same query.
		q2, err := ParseQuery(q.String())
		if err != nil || q2.String() != q.String() {
			t.Errorf("%q: String %q does not parse back (%v, %q)", tc.q, q.String(), err, q2.String())
		}
	}
}

// TestQueryErrors: a bad query says where it went wrong.
func TestQueryErrors(t *testing.T) {
	for _, tc := range []struct {
		q   string
		off int
	}{
		{"", 0},
		{"   ", 0},
		{"dropout and", 11},
		{"(dropout or night", 17},
		{"speed >", 7},
		{"speed > fast", 8},
		{"speed dropout", 6},
		{"dropout)", 7},
		{"or night", 0},
		{"cam_front ! night", 10},
		{"night; rm", 5},
		{"speed > nan", 8},
		{"[", 0},
	} {
		_, err := ParseQuery(tc.q)
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%q: error %v, want a QueryError", tc.q, err)
			continue
		}
		if qe.Offset != tc.off {
			t.Errorf("%q: offset %d, want %d (%v)", tc.q, qe.Offset, tc.off, err)
		}
	}
	deep := ""
	for range 200 {
		deep += "("
	}
	if _, err := ParseQuery(deep + "night"); err == nil {
		t.Error("200 nested parentheses parsed")
	}
}

// FuzzParseQuery: the parser never panics, and a query that parses
// prints as a query that parses to the same thing.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"radar_front degraded and speed > 10", "(a or b) and not c", "speed>=1e3", "not (x", "duration != -2s", "cam_* ? [a]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			return
		}
		q2, err := ParseQuery(q.String())
		if err != nil {
			t.Fatalf("%q parsed, its String %q does not: %v", s, q.String(), err)
		}
		if q2.String() != q.String() {
			t.Fatalf("%q: %q reparses as %q", s, q.String(), q2.String())
		}
		for _, sc := range queryScenes {
			q.Match(sc)
		}
	})
}

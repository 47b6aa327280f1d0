package match

import (
	"slices"
	"testing"

	"github.com/rigsync/rigsync/sync/match/matchtest"
)

// message_filters' ExactTime tests and the project's cases of the C++
// semantics (package matchtest). Drops are counted per message (upstream
// counts dropped tuples; here each dropped tuple holds one message).
func TestExact(t *testing.T) {
	drops := map[string]map[Reason]int{
		"multipleTimes": {Superseded: 1},
		"queueSize":     {QueueOverflow: 4, EndOfInput: 1},
		"dropCallback":  {QueueOverflow: 1, EndOfInput: 1},
		"supersede":     {Superseded: 1},
		"duplicate":     {Duplicate: 1},
	}
	for _, tc := range matchtest.Exact() {
		t.Run(tc.Name, func(t *testing.T) {
			want, ok := drops[tc.Name]
			if !ok {
				t.Fatalf("no expected drops for %s", tc.Name)
			}
			c := newCollector()
			e, err := NewExact(ExactConfig{Topics: tc.Topics, QueueSize: tc.QueueSize}, c.handler())
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range tc.Input {
				e.Push(m.Topic, m.Stamp, i)
			}
			if !slices.EqualFunc(c.sets, tc.Want, slices.Equal) {
				t.Errorf("sets = %v, want %v", c.sets, tc.Want)
			}
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			for r, n := range want {
				if c.drops[r] != n {
					t.Errorf("drops[%v] = %d, want %d (all %v)", r, c.drops[r], n, c.drops)
				}
			}
		})
	}
	if _, err := NewExact[int](ExactConfig{Topics: 2}, Handler[int]{}); err == nil {
		t.Error("QueueSize 0 accepted")
	}
}

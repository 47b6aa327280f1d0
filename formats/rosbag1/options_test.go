package rosbag1_test

import (
	"testing"

	"github.com/rigsync/rigsync/formats/rosbag1"
)

// TestOptions: topic and time selection, with and without read-ahead,
// on a bag of 22 lz4 chunks (300 rounds: /points at t0 + 10 ms·i, then
// /chatter from two connections 1 ms later).
func TestOptions(t *testing.T) {
	b := synthBag(t, rosbag1.CompressionLZ4, 2048, 300)
	const t0 = int64(1700000000e9)
	for _, tc := range []struct {
		name        string
		opts        rosbag1.Options
		n           int
		first, last int64
		topic       string // every message's topic, when set
	}{
		{"all", rosbag1.Options{}, 600, t0, t0 + 2991e6, ""},
		{"no read-ahead", rosbag1.Options{ReadAhead: -1}, 600, t0, t0 + 2991e6, ""},
		{"deep read-ahead", rosbag1.Options{ReadAhead: 8}, 600, t0, t0 + 2991e6, ""},
		{"one topic, two connections", rosbag1.Options{Topics: []string{"/chatter"}}, 300, t0 + 1e6, t0 + 2991e6, "/chatter"},
		{"other topic", rosbag1.Options{Topics: []string{"/points"}}, 300, t0, t0 + 2990e6, "/points"},
		{"unknown topic", rosbag1.Options{Topics: []string{"/nope"}}, 0, 0, 0, ""},
		{"window", rosbag1.Options{Start: t0 + 1000e6, End: t0 + 2000e6}, 200, t0 + 1000e6, t0 + 1991e6, ""},
		{"window end exclusive", rosbag1.Options{Start: t0 + 1000e6, End: t0 + 1001e6}, 1, t0 + 1000e6, t0 + 1000e6, "/points"},
		{"window and topic", rosbag1.Options{Topics: []string{"/chatter"}, Start: t0 + 1000e6, End: t0 + 2000e6}, 100, t0 + 1001e6, t0 + 1991e6, "/chatter"},
		{"start only", rosbag1.Options{Start: t0 + 2990e6}, 2, t0 + 2990e6, t0 + 2991e6, ""},
		{"after the end", rosbag1.Options{Start: t0 + 5000e6}, 0, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := readAll(t, b, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Fatalf("%d messages, want %d", len(got), tc.n)
			}
			if tc.n == 0 {
				return
			}
			if got[0].t != tc.first || got[len(got)-1].t != tc.last {
				t.Errorf("first/last %d/%d, want %d/%d", got[0].t-t0, got[len(got)-1].t-t0, tc.first-t0, tc.last-t0)
			}
			for _, m := range got {
				if tc.topic != "" && m.topic != tc.topic {
					t.Fatalf("message on %s", m.topic)
				}
			}
		})
	}
}

package syncapp_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/internal/app/syncapp"
)

func TestFlagsOptions(t *testing.T) {
	ok := syncapp.Flags{Policy: "approximate", Correct: "auto", AgePenalty: 0.1}
	with := func(f func(*syncapp.Flags)) syncapp.Flags { o := ok; f(&o); return o }
	cases := []struct {
		name    string
		flags   syncapp.Flags
		wantErr string // "" = no error
	}{
		{"defaults", ok, ""},
		{"bad policy", with(func(o *syncapp.Flags) { o.Policy = "bogus" }), `--policy "bogus": want exact, approximate or reference`},
		{"reference without topic", with(func(o *syncapp.Flags) { o.Policy = "reference" }), "--policy reference needs --reference TOPIC"},
		{"bad correct", with(func(o *syncapp.Flags) { o.Correct = "some" }), `--correct "some": want auto, drift, full or none`},
		{"negative queue", with(func(o *syncapp.Flags) { o.QueueSize = -1 }), "--queue-size -1: want at least 1 (or 0 for automatic)"},
		{"optional with exact", with(func(o *syncapp.Flags) { o.Policy = "exact"; o.Optional = []string{"/a"} }), "--optional applies to --policy approximate only"},
		{"negative tolerance", with(func(o *syncapp.Flags) { o.Tolerance = -1 }), "--max-interval, --tolerance and --optional-tolerance must not be negative"},
		{"negative age penalty", with(func(o *syncapp.Flags) { o.AgePenalty = -0.5 }), "--age-penalty -0.5: want ≥ 0"},
		{"lower bound without name", with(func(o *syncapp.Flags) { o.LowerBounds = []string{"=1s"} }), `--lower-bound "=1s": want NAME=VALUE`},
		{"negative lower bound", with(func(o *syncapp.Flags) { o.LowerBounds = []string{"/a=-1s"} }), `--lower-bound "/a=-1s": negative duration`},
		{"bad latency", with(func(o *syncapp.Flags) { o.Latencies = []string{"cam=x"} }), `--latency "cam=x": time: invalid duration "x"`},
		{"phase without reference policy", with(func(o *syncapp.Flags) { o.Phases = []string{"/a=5ms"} }), "--phase applies to --policy reference only"},
		{"bad clock", with(func(o *syncapp.Flags) { o.Clocks = []string{"cam"} }), `--clock "cam": want NAME=VALUE`},
		{"xcorr of one topic", with(func(o *syncapp.Flags) { o.XCorr = []string{"/a,/a"} }), `--xcorr "/a,/a": want TOPIC_A,TOPIC_B (two different topics)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.flags.Options()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil || err.Error() != c.wantErr {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if _, ok := errors.AsType[syncapp.UsageError](err); !ok {
				t.Errorf("%v is not a UsageError", err)
			}
		})
	}
}

// The reference topic is grouped (first) when --topics leaves it out, and
// every NAME=VALUE flag is parsed into its map.
func TestFlagsOptionsValues(t *testing.T) {
	o, err := syncapp.Flags{Policy: "reference", Reference: "/lidar", Topics: []string{"/cam"}, Correct: "none",
		Phases: []string{"/cam=-15ms"}, Latencies: []string{"cam=30ms"}, Clocks: []string{"lidar=1ms,80"},
		XCorr: []string{"/imu,/odom"}}.Options()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Topics, []string{"/lidar", "/cam"}) || o.Phase["/cam"] != -15*time.Millisecond ||
		o.Latency["cam"] != 30*time.Millisecond || o.Clocks["lidar"].Offset != int64(time.Millisecond) ||
		len(o.XCorr) != 1 || o.XCorr[0] != [2]string{"/imu", "/odom"} || o.Correct != syncapp.CorrectNone {
		t.Errorf("options %+v", o)
	}
}

// Flags.Options turns the typed flag values into the run's options.
func ExampleFlags_Options() {
	o, err := syncapp.Flags{Policy: "reference", Reference: "/lidar_top/points", Correct: "auto",
		Phases: []string{"/cam_front/image_raw/compressed=15ms"}}.Options()
	fmt.Println(o.Policy, o.Phase, err)
	_, err = syncapp.Flags{Policy: "reference", Correct: "auto"}.Options()
	fmt.Println(err)
	// Output:
	// reference map[/cam_front/image_raw/compressed:15ms] <nil>
	// --policy reference needs --reference TOPIC
}

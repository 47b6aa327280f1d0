package fuseapp_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/writers/all"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"github.com/rigsync/rigsync/sync/clock"
)

func TestWriteText(t *testing.T) {
	s := &fuseapp.Summary{Logs: []string{"a.mcap", "b.mcap"}, Output: "out", Format: "frames", Frames: 3, Seconds: 1.25,
		Completeness: map[string]float64{"lidar": 1, "cam": 0.5},
		Deskew:       map[string]int{"imu": 1, "none": 2}, EgoSource: map[string]int{},
		Clocks:      []fusion.ClockEstimate{{Sensor: "cam", Applied: "given", Model: clock.Model{Offset: 25e6}}},
		CalibSource: map[string]string{"cam": "rig.yaml"}, Rig: "rig.yaml", Warnings: []string{"w1"}}
	var buf bytes.Buffer
	fuseapp.WriteText(&buf, s)
	want := `fused 3 frames of a.mcap + b.mcap into out (frames) in 1.2 s
completeness:
  cam                        50.0%
  lidar                     100.0%
deskew (frames): none 2, imu 1
ego pose (frames): none
clocks:
  cam                      given  ` + clock.Model{Offset: 25e6}.String() + `
calibration (from the log and rig.yaml):
  cam                      rig.yaml
warnings:
  w1
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// Every line of the formats' help fits 76 columns, and every format is
// listed with its name first.
func TestFormatsHelp(t *testing.T) {
	reg := all.Formats()
	h := fuseapp.FormatsHelp(reg)
	for l := range strings.SplitSeq(strings.TrimSuffix(h, "\n"), "\n") {
		if utf8.RuneCountInString(l) > 76+2 {
			t.Errorf("line longer than 76 columns: %q", l)
		}
	}
	for _, n := range reg.Names() {
		if !strings.Contains(h, "\n  "+n+" ") {
			t.Errorf("format %s is not listed:\n%s", n, h)
		}
	}
}

package fleetapp

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/fusion/fused"
)

func greyJPEG(t *testing.T, level uint8) *formats.CompressedImage {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		// A little texture so that the image is not "flat".
		img.Pix[i] = level + uint8(i%7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return &formats.CompressedImage{Format: "jpeg", Data: b.Bytes()}
}

// TestCollector drives the collector with synthetic frames whose truth is
// known (10 Hz, 10 s): the ego drives 10 m/s for 4 s, stops 2 s, turns at
// 30 °/s for 2 s at 5 m/s, then drives straight; the camera sees daylight
// (grey 128) for 5 s, then night (grey 16–22), and is missing from 2 s to
// 3 s; the radar has no detections from 1 s to 4 s; the reference LiDAR
// skips 8.5 s to 9 s. The scenes must say so, within one frame.
func TestCollector(t *testing.T) {
	day, night := greyJPEG(t, 128), greyJPEG(t, 16) // night: mean ~19, not "black"
	c := newCollector()
	const start = int64(1_000_000_000_000)
	var x, y, yaw float64
	for k := 0; k < 100; k++ {
		ts := float64(k) / 10
		if ts >= 8.5 && ts < 9 {
			continue // the reference LiDAR's dropout: no frames
		}
		speed, rate := 10.0, 0.0
		switch {
		case ts >= 4 && ts < 6:
			speed = 0
		case ts >= 6 && ts < 8:
			speed, rate = 5, 30
		}
		if k > 0 {
			yaw += rate * math.Pi / 180 * 0.1
			x += speed * 0.1 * math.Cos(yaw)
			y += speed * 0.1 * math.Sin(yaw)
		}
		ego, err := se3.FromRPY(0, 0, yaw, r3.Vec{X: x, Y: y})
		if err != nil {
			t.Fatal(err)
		}
		img := day
		if ts >= 5 {
			img = night
		}
		camMissing := ts >= 2 && ts < 3
		f := &fused.Frame{Index: k, Stamp: start + int64(k)*1e8, EgoSource: "odometry", Ego: ego,
			Sensors: []fused.SensorStatus{
				{Name: "lidar", Modality: formats.Lidar},
				{Name: "cam", Modality: formats.Camera, Missing: camMissing, Offset: 3e6},
				{Name: "radar", Modality: formats.Radar, Degraded: ts >= 1 && ts < 4, Offset: -2e6},
			}}
		if !camMissing {
			f.Cameras = []fused.Camera{{Name: "cam", Image: img}}
		}
		if err := c.observe(f); err != nil {
			t.Fatal(err)
		}
	}
	s := fleet.Summary{Path: "x.mcap", StartNs: start, EndNs: start + 99e8, DurationS: 9.9}
	scenes := c.finish(&s)
	want := []struct {
		kind, sensor string
		a, b         float64
	}{
		{fleet.KindDegraded, "radar", 1, 4},
		{fleet.KindDropout, "cam", 2, 3},
		{fleet.KindStop, "", 4, 6},
		{fleet.KindNight, "", 5, 9.9},
		{fleet.KindSharpTurn, "", 6, 8},
		{fleet.KindDropout, "lidar", 8.5, 9},
	}
	for _, w := range want {
		found := false
		for _, sc := range scenes {
			if sc.Kind == w.kind && sc.Sensor == w.sensor && math.Abs(sc.StartS-w.a) <= 0.11 && math.Abs(sc.EndS-w.b) <= 0.11 {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s scene of %q at %.1f–%.1f s; scenes:\n%s", w.kind, w.sensor, w.a, w.b, sceneTags(scenes))
		}
	}
	if len(scenes) != len(want) {
		t.Errorf("%d scenes, want %d:\n%s", len(scenes), len(want), sceneTags(scenes))
	}
	// The stop has zero speed, the drive before it 10 m/s.
	for _, sc := range scenes {
		if sc.Kind == fleet.KindStop && sc.SpeedMax > 0.5 {
			t.Errorf("stop scene speed max %.2f", sc.SpeedMax)
		}
		if sc.Kind == fleet.KindDegraded && math.Abs(sc.SpeedMean-10) > 0.5 {
			t.Errorf("radar degraded at 10 m/s: speed mean %.2f", sc.SpeedMean)
		}
		if sc.Kind == fleet.KindSharpTurn && math.Abs(sc.Value-30) > 1 {
			t.Errorf("sharp turn peak %.1f °/s, want 30", sc.Value)
		}
	}
	if d := s.Ego.DistanceM; math.Abs(d-(4*10+2*5+1.5*10)) > 2 {
		t.Errorf("distance %.1f m", d)
	}
	if s.Light != "day" && s.Light != "dusk" {
		t.Errorf("light %q: half day, half night averages above night", s.Light)
	}
	if st := s.Conditions.Speed["stopped"]; st < 1900 || st > 2100 {
		t.Errorf("stopped %d ms, want 2000", st)
	}
	if n := s.Conditions.Light["night"]; n < 4800 || n > 5000 {
		t.Errorf("night %d ms, want ~4900", n)
	}
	if s.Frames != 95 {
		t.Errorf("frames %d", s.Frames)
	}
}

// TestLightOf: the documented thresholds.
func TestLightOf(t *testing.T) {
	for _, tc := range []struct {
		mean float64
		want string
	}{{0, "night"}, {24.9, "night"}, {25, "dusk"}, {59.9, "dusk"}, {60, "day"}, {255, "day"}} {
		if got := LightOf(tc.mean); got != tc.want {
			t.Errorf("LightOf(%v) = %q, want %q", tc.mean, got, tc.want)
		}
	}
}

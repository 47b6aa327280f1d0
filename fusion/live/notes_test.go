package live_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/live"
)

// What a live frame says where live fusion differs from offline on
// purpose: without an ego source the radar Doppler is NaN (and said so);
// a sensor without an extrinsic names no /tf_static; an undecoded video
// access unit is missing; a provisional stamp marks the camera degraded;
// a member without a message names the latency bound.
func TestLiveNotes(t *testing.T) {
	const ms = int64(time.Millisecond)
	cal := &fusion.Calibration{Base: "base_link", Extrinsics: map[string]se3.Transform{
		"radar": se3.Identity(), "cam": se3.Identity(), "jpeg": se3.Identity()}}
	sink := &frameSink{}
	f, err := live.New(live.Config{Streams: []live.Stream{
		{Name: "radar", Topic: "/radar", Modality: formats.Radar},
		{Name: "cam", Topic: "/cam/video", Modality: formats.Camera},
		{Name: "jpeg", Topic: "/jpeg/image", Modality: formats.Camera},
		{Name: "uncalibrated", Topic: "/other", Modality: formats.Radar},
		{Name: "silent", Topic: "/silent", Modality: formats.Radar},
	}, Calibration: cal, Tolerance: 20 * time.Millisecond, MaxLatency: 100 * time.Millisecond}, sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	scan := &formats.RadarScan{X: []float32{10}, Y: []float32{1}, Z: []float32{0}, Doppler: []float32{-3}}
	for i, in := range []live.Input{
		{Msg: formats.Message{Stamp: 0, Payload: scan}},
		{Msg: formats.Message{Stamp: ms, Payload: &formats.CompressedVideo{Format: "h264", Data: []byte{0, 0, 0, 1}}}},
		{Msg: formats.Message{Stamp: 2 * ms, Payload: &formats.CompressedImage{Format: "jpeg", Data: []byte("x")}}, Provisional: true},
		{Msg: formats.Message{Stamp: 3 * ms, Payload: scan}},
	} {
		if err := f.Push(ctx, 5*ms, i, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(ctx, 500*ms); err != nil {
		t.Fatal(err)
	}
	if len(sink.frames) != 1 {
		t.Fatalf("%d frames", len(sink.frames))
	}
	fr := sink.frames[0]
	if fr.Clock != live.Clock || fr.EgoSource != "none" {
		t.Errorf("clock %q, ego %q", fr.Clock, fr.EgoSource)
	}
	if rc := fr.Radar; rc == nil || len(rc.RadialVelocity) != 1 || !math.IsNaN(float64(rc.RadialVelocity[0])) || rc.RawRadialVelocity[0] != -3 {
		t.Errorf("radar %+v: want the raw Doppler and a NaN radial velocity", rc)
	}
	for i, c := range []struct {
		missing, degraded bool
		note              string
	}{
		{false, false, "Doppler not ego-compensated (no ego source)"},
		{true, false, "h264 access unit: frames need images; decode the video before pushing it (rigsync live uses ffmpeg)"},
		{false, true, "no CameraInfo for jpeg; provisional stamp: receive time, no RTCP sender report yet"},
		{true, false, "no extrinsic for frame uncalibrated"},
		{true, false, "no message within ±20ms arrived within the 100ms latency bound"},
	} {
		st := fr.Sensors[i]
		if st.Missing != c.missing || st.Degraded != c.degraded || st.Note != c.note {
			t.Errorf("sensor %d: missing %v degraded %v note %q, want %v %v %q", i, st.Missing, st.Degraded, st.Note, c.missing, c.degraded, c.note)
		}
		if strings.Contains(st.Note, "tf_static") {
			t.Errorf("sensor %d: note %q names /tf_static", i, st.Note)
		}
	}
}

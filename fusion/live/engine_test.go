package live_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/live"
)

// liveSpecific are the frame fields that differ between offline and live
// fusion by design; everything else must be identical.
var liveSpecific = []string{
	"Frame.Clock",               // the reference sensor's clock offline, "host" live
	"SensorStatus.Note/missing", // the note of a member without a message names the latency bound live
}

// frameSink keeps the frames written to it.
type frameSink struct{ frames []*fused.Frame }

func (s *frameSink) Write(_ context.Context, f *fused.Frame) error {
	s.frames = append(s.frames, f)
	return nil
}
func (s *frameSink) Close() error { return nil }

// egoDrive writes a 2 s drive of the minimal rig with wheel odometry and a
// radar added (ego motion, IMU, LiDAR, camera and radar).
func egoDrive(t *testing.T) string {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 2 * time.Second
	cfg.Rig.SetCameraSize(160, 96)
	cfg.Rig.Odometry = &fixtures.OdomSpec{Name: "wheel_odom", RateHz: 50, SpeedScale: 1.01, LatencyMS: 5}
	cfg.Rig.Radars = []fixtures.RadarSpec{{Name: "radar_front", Mount: fixtures.Mount{X: 3.7, Z: 0.5}, HFOV: 60, VFOV: 12,
		MaxRange: 150, RateHz: 20, RangeNoise: 0.08, AzimuthNoise: 0.3, DopplerNoise: 0.05, MaxPerObject: 6, LatencyMS: 15}}
	path := filepath.Join(t.TempDir(), "drive.mcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fixtures.Generate(context.Background(), cfg, f, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// Offline and live fusion share the frame engine: the same recorded
// messages through fusion.Pipeline and through a live Fuser (each grouped
// message pushed at its log time, the odometry, IMU and camera infos as
// they come) give the same frames, deskewed and Doppler-compensated with
// the odometry and the IMU on both sides.
func TestLiveMatchesOffline(t *testing.T) {
	path := egoDrive(t)
	r, err := mcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	cal, err := fusion.ReadCalibration(ctx, r, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	const tol = 50 * time.Millisecond

	// Offline. Live frames check no images (the image decoding would take
	// the live loop's CPU), so the offline run does not either.
	off := &frameSink{}
	p := &fusion.Pipeline{Reader: r, Calibration: cal, Tolerance: tol, ImageCheckEvery: -1}
	if err := p.Run(ctx, off); err != nil {
		t.Fatal(err)
	}
	if len(off.frames) < 10 {
		t.Fatalf("%d offline frames", len(off.frames))
	}

	// Live, with the offline run's sensors in its order (reference first).
	var streams []live.Stream
	topicStream := map[string]int{}
	var egos fusion.EgoTopics
	imu := map[string]bool{}
	for _, s := range off.frames[0].Sensors {
		if s.Modality != formats.IMUModality {
			topicStream[s.Topic] = len(streams)
			streams = append(streams, live.Stream{Name: s.Name, Topic: s.Topic, Modality: s.Modality})
		}
	}
	for _, ch := range r.Channels() {
		mod := formats.ModalityOfType(ch.Schema.Name)
		egos.Add(ch.Topic, mod)
		imu[ch.Topic] = mod == formats.IMUModality
	}
	ego, egoTopics, err := fusion.ChooseEgo("auto", egos)
	if err != nil || ego != "odometry" {
		t.Fatalf("ego source %q (%v), want odometry", ego, err)
	}
	lv := &frameSink{}
	f, err := live.New(live.Config{Streams: streams, Calibration: cal, Tolerance: tol, MaxLatency: time.Second, Ego: ego}, lv)
	if err != nil {
		t.Fatal(err)
	}
	src, err := mcapsource.New(r, mcapsource.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var now int64
	for {
		m, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		now = max(now, m.LogTime) // arrival: the recording time
		if err := f.Advance(ctx, now); err != nil {
			t.Fatal(err)
		}
		i, grouped := topicStream[m.Topic]
		switch {
		case grouped:
			err = f.Push(ctx, now, i, live.Input{Msg: m})
		case slices.Contains(egoTopics, m.Topic):
			err = f.AddEgo(ctx, now, m)
		case imu[m.Topic]:
			f.AddIMU(m)
		default:
			if ci, ok := m.Payload.(*formats.CameraInfo); ok {
				f.CameraInfo(m.FrameID, m.Topic, ci)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(ctx, now+int64(time.Second)); err != nil {
		t.Fatal(err)
	}

	t.Logf("ignored as live-specific: %v", liveSpecific)
	if len(lv.frames) != len(off.frames) {
		t.Fatalf("%d live frames, %d offline", len(lv.frames), len(off.frames))
	}
	radar, projected, missing := 0, 0, 0
	for k, want := range off.frames {
		compareFrames(t, k, lv.frames[k], want)
		if want.Radar != nil {
			radar += len(want.Radar.RadialVelocity)
		}
		for _, c := range want.Cameras {
			projected += len(c.Projected)
		}
		for _, s := range want.Sensors {
			if s.Missing {
				missing++
			}
		}
	}
	t.Logf("%d frames alike: deskew %q, %d radar detections, %d projected points, %d missing members",
		len(off.frames), off.frames[len(off.frames)/2].Lidar.Deskew, radar, projected, missing)
	if radar == 0 {
		t.Fatal("no radar detection in the frames: the Doppler comparison tested nothing")
	}
}

// compareFrames fails unless the live frame got equals the offline frame
// want field by field, bit for bit, except the liveSpecific fields.
func compareFrames(t *testing.T, k int, got, want *fused.Frame) {
	t.Helper()
	if got.Index != want.Index || got.Stamp != want.Stamp || got.FrameID != want.FrameID || got.Ego != want.Ego || got.EgoSource != want.EgoSource {
		t.Fatalf("frame %d: index %d stamp %d frame %q ego %v %q, offline %d %d %q %v %q", k,
			got.Index, got.Stamp, got.FrameID, got.Ego, got.EgoSource, want.Index, want.Stamp, want.FrameID, want.Ego, want.EgoSource)
	}
	if got.Clock != live.Clock {
		t.Errorf("frame %d: clock %q, want %q", k, got.Clock, live.Clock)
	}
	if want.EgoSource != "odometry" {
		t.Fatalf("frame %d: ego source %q, want odometry", k, want.EgoSource)
	}
	// Statuses: the same except a missing member's note.
	if len(got.Sensors) != len(want.Sensors) {
		t.Fatalf("frame %d: %d statuses, offline %d", k, len(got.Sensors), len(want.Sensors))
	}
	for i, w := range want.Sensors {
		g := got.Sensors[i]
		if w.Missing && !g.Missing || g.Missing && !w.Missing {
			t.Fatalf("frame %d: status %+v, offline %+v", k, g, w)
		}
		if w.Missing && w.Stamp == 0 {
			g.Note = w.Note // liveSpecific: the missing note
		}
		if g != w {
			t.Errorf("frame %d: status %+v, offline %+v", k, g, w)
		}
	}
	// LiDAR: the same points, bit for bit, deskewed the same way.
	if (got.Lidar == nil) != (want.Lidar == nil) {
		t.Fatalf("frame %d: live cloud %v, offline %v", k, got.Lidar != nil, want.Lidar != nil)
	}
	if c, w := got.Lidar, want.Lidar; w != nil {
		if w.Deskew == "none" || c.Deskew != w.Deskew {
			t.Errorf("frame %d: deskew %q, offline %q (want deskewed)", k, c.Deskew, w.Deskew)
		}
		if !sameBits(c.Points.X, w.Points.X) || !sameBits(c.Points.Y, w.Points.Y) || !sameBits(c.Points.Z, w.Points.Z) ||
			!sameBits(c.Points.Intensity, w.Points.Intensity) || !slices.Equal(c.Points.Ring, w.Points.Ring) ||
			!slices.Equal(c.Points.TimeOffset, w.Points.TimeOffset) || !slices.Equal(c.Source, w.Source) || !slices.Equal(c.Sources, w.Sources) {
			t.Errorf("frame %d: the live cloud (%d points, deskew %q) differs from the offline one (%d, %q)", k, c.Points.Len(), c.Deskew, w.Points.Len(), w.Deskew)
		}
	}
	// Radar: the same detections and ego-compensated Doppler.
	if (got.Radar == nil) != (want.Radar == nil) {
		t.Fatalf("frame %d: live radar %v, offline %v", k, got.Radar != nil, want.Radar != nil)
	}
	if r, w := got.Radar, want.Radar; w != nil {
		if !sameBits(r.X, w.X) || !sameBits(r.Y, w.Y) || !sameBits(r.Z, w.Z) || !sameBits(r.RCS, w.RCS) ||
			!sameBits(r.RawRadialVelocity, w.RawRadialVelocity) || !sameBits(r.RadialVelocity, w.RadialVelocity) ||
			!slices.Equal(r.Source, w.Source) || !slices.Equal(r.Sources, w.Sources) || !slices.Equal(r.Ego, w.Ego) {
			t.Errorf("frame %d: live radar %+v, offline %+v", k, r, w)
		}
		for i, v := range w.RadialVelocity {
			if math.IsNaN(float64(v)) || v == w.RawRadialVelocity[i] {
				t.Fatalf("frame %d: detection %d: radial velocity %g, raw %g: not ego-compensated", k, i, v, w.RawRadialVelocity[i])
			}
		}
	}
	// Cameras: the same image, placement with ego motion, projections.
	if len(got.Cameras) != len(want.Cameras) {
		t.Fatalf("frame %d: %d cameras, offline %d", k, len(got.Cameras), len(want.Cameras))
	}
	for i, w := range want.Cameras {
		c := got.Cameras[i]
		if c.Name != w.Name || c.Topic != w.Topic || c.Stamp != w.Stamp || c.BaseCamera != w.BaseCamera || c.Extrinsic != w.Extrinsic ||
			!reflect.DeepEqual(c.Info, w.Info) || !slices.Equal(c.Projected, w.Projected) || !sameImage(c.Image, w.Image) {
			t.Errorf("frame %d: camera %s (%d projections, BaseCamera %v) differs from offline (%d, %v)", k, w.Name, len(c.Projected), c.BaseCamera, len(w.Projected), w.BaseCamera)
		}
		if w.BaseCamera == w.Extrinsic {
			t.Errorf("frame %d: camera %s placed without ego motion", k, w.Name)
		}
	}
	// IMU window.
	if len(got.IMU) != len(want.IMU) {
		t.Fatalf("frame %d: %d IMU messages, offline %d", k, len(got.IMU), len(want.IMU))
	}
	for i := range want.IMU {
		if got.IMU[i].Stamp != want.IMU[i].Stamp || got.IMU[i].Topic != want.IMU[i].Topic {
			t.Errorf("frame %d: IMU message %d stamped %d, offline %d", k, i, got.IMU[i].Stamp, want.IMU[i].Stamp)
		}
	}
}

// sameBits reports whether a and b hold the same float32 bit patterns
// (NaN equal to NaN).
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// sameImage reports whether two image payloads hold the same bytes.
func sameImage(a, b formats.Payload) bool {
	switch x := a.(type) {
	case *formats.CompressedImage:
		y, ok := b.(*formats.CompressedImage)
		return ok && x.Format == y.Format && bytes.Equal(x.Data, y.Data)
	case *formats.Image:
		y, ok := b.(*formats.Image)
		return ok && x.Width == y.Width && x.Height == y.Height && x.Encoding == y.Encoding && bytes.Equal(x.Data, y.Data)
	}
	return false
}

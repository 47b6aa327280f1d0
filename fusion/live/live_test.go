package live_test

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/replay"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/live"
)

type fakeClock struct{ now int64 }

func (c *fakeClock) Now() int64 { return c.now }
func (c *fakeClock) SleepUntil(ctx context.Context, t int64) error {
	if t > c.now {
		c.now = t
	}
	return ctx.Err()
}

// captureSink keeps the frames with the host time they were written at.
type captureSink struct {
	clock  *fakeClock
	frames []*fused.Frame
	at     []int64
}

func (s *captureSink) Write(ctx context.Context, f *fused.Frame) error {
	s.frames = append(s.frames, f)
	s.at = append(s.at, s.clock.now)
	return nil
}
func (s *captureSink) Close() error { return nil }

type drive struct {
	path  string
	truth *fixtures.Truth
}

func newDrive(t testing.TB) drive {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 2 * time.Second
	cfg.Rig.SetCameraSize(160, 96)
	dir := t.TempDir()
	path := filepath.Join(dir, "drive.mcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.Create(filepath.Join(dir, "drive.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, f, tf, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tf.Close()
	tf, err = os.Open(filepath.Join(dir, "drive.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	tr, err := fixtures.LoadTruth(tf)
	if err != nil {
		t.Fatal(err)
	}
	return drive{path: path, truth: tr}
}

func (d drive) sensor(t testing.TB, name string) *fixtures.SensorTruth {
	for i := range d.truth.Sensors {
		if d.truth.Sensors[i].Name == name {
			return &d.truth.Sensors[i]
		}
	}
	t.Fatalf("no sensor %s in the truth", name)
	return nil
}

// runLive replays the drive through a Fuser with a fake clock (arrival =
// the log time mapped to the host clock), ticking every 10 ms; dropCamera
// leaves the camera out (a dead stream), noIMU the IMU.
func runLive(t *testing.T, d drive, maxLat time.Duration, dropCamera, noIMU bool) (*captureSink, *live.Fuser, replay.Mapping, map[int64]formats.Message) {
	t.Helper()
	r, err := mcapread.Open(d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cal, err := fusion.ReadCalibration(context.Background(), r, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: 1_900_000_000e9}
	p, err := replay.New(r, replay.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	sink := &captureSink{clock: clk}
	f, err := live.New(live.Config{
		Streams: []live.Stream{
			{Name: "lidar_top", Topic: "/lidar_top/points", Modality: formats.Lidar},
			{Name: "cam_front", Topic: "/cam_front/image/compressed", Modality: formats.Camera},
		},
		Calibration: cal, MaxLatency: maxLat, Tolerance: 50 * time.Millisecond,
	}, sink)
	if err != nil {
		t.Fatal(err)
	}
	lidars := map[int64]formats.Message{}
	ctx := context.Background()
	const tick = int64(10 * time.Millisecond)
	next := int64(0)
	for {
		m, err := p.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		now := clk.now
		if next == 0 {
			next = now
		}
		for ; next < now; next += tick {
			saved := clk.now
			clk.now = next
			if err := f.Advance(ctx, next); err != nil {
				t.Fatal(err)
			}
			clk.now = saved
		}
		switch m.Modality {
		case formats.Lidar:
			lidars[m.Stamp] = m
			err = f.Push(ctx, now, 0, live.Input{Msg: m})
		case formats.Camera:
			if !dropCamera {
				err = f.Push(ctx, now, 1, live.Input{Msg: m})
			}
		case formats.IMUModality:
			if !noIMU {
				f.AddIMU(m)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for end := clk.now + int64(maxLat) + tick; clk.now < end; clk.now += tick {
		if err := f.Advance(ctx, clk.now); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(ctx, clk.now); err != nil {
		t.Fatal(err)
	}
	return sink, f, p.Mapping(), lidars
}

func TestLiveFusionAgainstTruth(t *testing.T) {
	d := newDrive(t)
	const maxLat = 300 * time.Millisecond
	sink, f, mp, _ := runLive(t, d, maxLat, false, false)
	lid, cam := d.sensor(t, "lidar_top"), d.sensor(t, "cam_front")
	// One frame per sweep, in order.
	if len(sink.frames) != lid.Messages {
		t.Fatalf("%d frames, want one per LiDAR sweep (%d)", len(sink.frames), lid.Messages)
	}
	emitted := 0
	for i, fr := range sink.frames {
		if fr.Index != i || fr.Clock != live.Clock || fr.FrameID != "base_link" {
			t.Fatalf("frame %d: index %d clock %q frame %q", i, fr.Index, fr.Clock, fr.FrameID)
		}
		// An IMU and no ego source: the rotation within the sweep comes
		// from the gyro (as offline).
		if fr.Lidar == nil {
			t.Fatalf("frame %d: no cloud", i)
		}
		if fr.Lidar.Deskew != "imu-rotation" || fr.EgoSource != "none" {
			t.Fatalf("frame %d: ego %q, deskew %q, want deskewed with the IMU rotation", i, fr.EgoSource, fr.Lidar.Deskew)
		}
		// Latency bound (frames written by the final Flush are exempt).
		if lat := sink.at[i] - fr.Stamp; lat <= int64(maxLat)+int64(10*time.Millisecond) {
			emitted++
		} else if i < len(sink.frames)-1 {
			t.Errorf("frame %d written %v after its stamp, bound %v", i, time.Duration(lat), maxLat)
		}
		// The camera is the truth's nearest exposure to the sweep stamp.
		trueS := fr.Stamp - mp.HostStart + mp.LogStart // back on the log's clock (no clock faults: true time)
		k := int64(math.Round(float64(trueS-d.truth.Start-cam.PhaseNS) / float64(cam.PeriodNS)))
		want := cam.SampleTime(d.truth.Start, k)
		if want >= d.truth.End || want < d.truth.Start {
			continue
		}
		if len(fr.Cameras) != 1 {
			t.Errorf("frame %d (sweep %d ns into the drive): %d cameras, sensors %+v", i, trueS-d.truth.Start, len(fr.Cameras), fr.Sensors)
			continue
		}
		c := fr.Cameras[0]
		if got := c.Stamp - mp.HostStart + mp.LogStart; got != want {
			t.Errorf("frame %d: camera stamp %d, truth's nearest exposure %d", i, got, want)
		}
		if off := c.Stamp - fr.Stamp; off < -int64(50*time.Millisecond) || off > int64(50*time.Millisecond) {
			t.Errorf("frame %d: camera %v from the frame time", i, time.Duration(off))
		}
	}
	if emitted < len(sink.frames)-1 {
		t.Errorf("only %d of %d frames within the latency bound", emitted, len(sink.frames))
	}
	// Geometry, without the IMU (nothing to deskew with): the cloud is the
	// raw sweep through the true extrinsic.
	plain, _, _, lidars := runLive(t, d, maxLat, false, true)
	fr := plain.frames[len(plain.frames)/2]
	raw, ok := lidars[fr.Stamp]
	if !ok {
		t.Fatalf("no sweep stamped %d", fr.Stamp)
	}
	pts, err := raw.Payload.(*formats.PointCloud).Points()
	if err != nil {
		t.Fatal(err)
	}
	if fr.Lidar == nil {
		t.Fatalf("frame %d: no cloud", fr.Index)
	}
	if fr.Lidar.Points.Len() != pts.Len() || fr.Lidar.Deskew != "none" || fr.EgoSource != "none" {
		t.Fatalf("frame %d: ego %q, cloud of %d points deskewed %q, want %d points, not deskewed", fr.Index, fr.EgoSource, fr.Lidar.Points.Len(), fr.Lidar.Deskew, pts.Len())
	}
	for i := 0; i < pts.Len(); i += 97 {
		want := lid.Extrinsic.Apply(r3.Vec{X: float64(pts.X[i]), Y: float64(pts.Y[i]), Z: float64(pts.Z[i])})
		got := r3.Vec{X: float64(fr.Lidar.Points.X[i]), Y: float64(fr.Lidar.Points.Y[i]), Z: float64(fr.Lidar.Points.Z[i])}
		if r3.Norm(r3.Sub(got, want)) > 1e-4 {
			t.Fatalf("point %d at %v in base_link, truth %v", i, got, want)
		}
		if o := fr.Lidar.Points.TimeOffset[i]; o != int64(pts.TimeOffset[i]) {
			t.Fatalf("point %d time offset %d, want %d", i, o, pts.TimeOffset[i])
		}
	}
	// Projection: each projected point lands where the truth camera sees it.
	c := fr.Cameras[0]
	if len(c.Projected) < 100 {
		t.Fatalf("%d points projected into the camera", len(c.Projected))
	}
	for _, pr := range c.Projected {
		P := fr.Lidar.Points
		pb := r3.Vec{X: float64(P.X[pr.Index]), Y: float64(P.Y[pr.Index]), Z: float64(P.Z[pr.Index])}
		pc := cam.Extrinsic.ApplyInverse(pb)
		u, v, ok := cam.Camera.Project(pc)
		if !ok || math.Abs(u-float64(pr.U)) > 0.01 || math.Abs(v-float64(pr.V)) > 0.01 || math.Abs(pc.Z-float64(pr.Depth)) > 1e-3 {
			t.Fatalf("point %d projected at (%g, %g) depth %g, truth (%g, %g) depth %g", pr.Index, pr.U, pr.V, pr.Depth, u, v, pc.Z)
		}
	}
	// IMU windows tile the time between frames.
	imu := d.sensor(t, "imu")
	for i := 1; i < len(sink.frames); i++ {
		w := sink.frames[i].IMU
		span := sink.frames[i].Stamp - sink.frames[i-1].Stamp
		if n := len(w); n < int(span/imu.PeriodNS)-1 || n > int(span/imu.PeriodNS)+1 {
			t.Errorf("frame %d: %d IMU messages for %v at %g Hz", i, n, time.Duration(span), imu.RateHz)
		}
		if st := sink.frames[i].Sensors[2]; st.Modality != formats.IMUModality || st.Missing || st.Name != "imu" {
			t.Errorf("frame %d: IMU status %+v", i, st)
		}
		for _, m := range w {
			if m.Stamp <= sink.frames[i-1].Stamp || m.Stamp > sink.frames[i].Stamp {
				t.Fatalf("frame %d: IMU stamp %d outside (%d, %d]", i, m.Stamp, sink.frames[i-1].Stamp, sink.frames[i].Stamp)
			}
		}
	}
	st := f.Stats(0)
	t.Logf("%d frames, %d within the bound, latency %+v, %d points projected in frame %d, stats %+v", len(sink.frames), emitted, f.Latency(), len(c.Projected), fr.Index, st)
	if st[0].Used != lid.Messages || st[1].Received != cam.Messages {
		t.Errorf("stats %+v", st)
	}
	if l := f.Latency(); l.Max <= 0 || l.P50 > int64(maxLat) {
		t.Errorf("latency %+v", l)
	}
}

// A dead camera does not stop the frames: each is written within the
// latency bound with the camera marked missing.
func TestDeadCamera(t *testing.T) {
	d := newDrive(t)
	const maxLat = 200 * time.Millisecond
	sink, f, _, _ := runLive(t, d, maxLat, true, false)
	if len(sink.frames) != d.sensor(t, "lidar_top").Messages {
		t.Fatalf("%d frames", len(sink.frames))
	}
	for i, fr := range sink.frames {
		if len(fr.Cameras) != 0 || len(fr.Sensors) != 3 || !fr.Sensors[1].Missing || fr.Sensors[2].Modality != formats.IMUModality {
			t.Fatalf("frame %d: cameras %d, sensors %+v", i, len(fr.Cameras), fr.Sensors)
		}
		if lat := sink.at[i] - fr.Stamp; lat > int64(maxLat)+int64(10*time.Millisecond) {
			t.Errorf("frame %d written %v after its stamp", i, time.Duration(lat))
		}
	}
	if st := f.Stats(0); st[1].Missing != len(sink.frames) {
		t.Errorf("camera missing in %d frames, want %d", st[1].Missing, len(sink.frames))
	}
}

func TestConfigErrors(t *testing.T) {
	cal := &fusion.Calibration{Base: "base_link"}
	two := []live.Stream{{Name: "a", Modality: formats.Lidar}, {Name: "b", Modality: formats.Camera}}
	sink := &captureSink{}
	for i, c := range []live.Config{
		{Streams: two},
		{Streams: two, Calibration: cal, Tolerance: time.Second, MaxLatency: time.Second},
		{Streams: []live.Stream{{Name: "a", Modality: formats.Lidar}, {Name: "i", Modality: formats.IMUModality}}, Calibration: cal},
		{Streams: two[:1], Calibration: cal},
	} {
		if _, err := live.New(c, sink); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

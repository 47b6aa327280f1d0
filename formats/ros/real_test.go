package ros

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
)

// statCounts returns the per-topic message counts of the file's Statistics.
func statCounts(t *testing.T, path string) map[string]uint64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := mcap.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	info, err := r.Info()
	if err != nil || info.Statistics == nil {
		t.Fatalf("info: %v (statistics %v)", err, info)
	}
	out := map[string]uint64{}
	for id, n := range info.Statistics.ChannelMessageCounts {
		out[info.Channels[id].Topic] = n
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// field walks a generic record by path.
func field(v any, path ...string) any {
	for _, p := range path {
		r, ok := v.(*formats.Record)
		if !ok {
			return nil
		}
		v, _ = r.Get(p)
	}
	return v
}

func TestRealRadar(t *testing.T) {
	path := filepath.Join(shareddata.Dir(t, "mcap", "real"), "radar-can-vehicle_mcap2mat-data1.mcap")
	want := statCounts(t, path)
	decs := map[uint16]*Decoder{}
	got := map[string]uint64{}
	returns := map[string]int{}
	var fwdRanges []float64
	tracks := 0
	eachMessage(t, path, func(sc *mcap.Schema, ch *mcap.Channel, m *mcap.Message) {
		got[ch.Topic]++
		d, ok := decs[ch.ID]
		if !ok {
			d = mustNew(t, sc.Name, sc.Encoding, sc.Data, ch.MessageEncoding)
			decs[ch.ID] = d
		}
		if !strings.HasPrefix(ch.Topic, "/radar/") {
			// CAN and ECU messages: generic decode consumes them exactly
			if _, end := consumed(t, d, m.Data); end != len(m.Data) {
				t.Errorf("%s: consumed %d of %d bytes", ch.Topic, end, len(m.Data))
			}
			return
		}
		if got[ch.Topic] == 1 {
			if !d.Typed() || d.Modality() != formats.Radar {
				t.Fatalf("%s: typed %v modality %v", ch.Topic, d.Typed(), d.Modality())
			}
		}
		dec, err := d.Decode(m.Data)
		if err != nil {
			t.Fatalf("%s: %v", ch.Topic, err)
		}
		gen, end := consumed(t, d, m.Data)
		if end != len(m.Data) {
			t.Errorf("%s: consumed %d of %d bytes", ch.Topic, end, len(m.Data))
		}
		if !dec.HasStamp || dec.FrameID == "" {
			t.Errorf("%s: stamp %v frame %q", ch.Topic, dec.HasStamp, dec.FrameID)
		}
		sec := field(gen, "header", "stamp", "sec").(int64)
		nsec := field(gen, "header", "stamp", "nanosec").(uint64)
		if dec.Stamp != sec*1e9+int64(nsec) || dec.FrameID != field(gen, "header", "frame_id") {
			t.Errorf("%s: header %d %q vs generic %v", ch.Topic, dec.Stamp, dec.FrameID, field(gen, "header"))
		}
		base := field(gen, "base").([]any) // the vendor schema names the returns "base"
		switch p := dec.Payload.(type) {
		case *formats.RadarScan:
			if want := "radar_" + strings.TrimPrefix(ch.Topic, "/radar/"); dec.FrameID != want {
				t.Errorf("%s: frame %q, want %q", ch.Topic, dec.FrameID, want)
			}
			if p.Len() != len(base) || len(p.Azimuth) != len(base) || len(p.RCS) != len(base) {
				t.Fatalf("%s: %d returns, generic %d", ch.Topic, p.Len(), len(base))
			}
			returns[ch.Topic] += p.Len()
			for i, b := range base {
				// typed path == generic path, field by field
				if !same32(p.Range[i], field(b, "range")) || !same32(p.Azimuth[i], field(b, "azimuth")) ||
					!same32(p.RCS[i], field(b, "amplitude")) || !same32(p.Elevation[i], field(b, "elevation")) ||
					!same32(p.Doppler[i], field(b, "doppler_velocity")) {
					t.Fatalf("%s return %d: typed %v/%v/%v/%v/%v, generic %v", ch.Topic, i,
						p.Range[i], p.Azimuth[i], p.Elevation[i], p.Doppler[i], p.RCS[i], b)
				}
				// plausibility: automotive radar limits
				if r := p.Range[i]; !(r >= 0 && r <= 300) {
					t.Errorf("%s: range %v outside 0..300 m", ch.Topic, r)
				}
				if a := p.Azimuth[i]; !(math.Abs(float64(a)) <= math.Pi) {
					t.Errorf("%s: azimuth %v outside ±π", ch.Topic, a)
				}
				if ch.Topic == "/radar/fwd" {
					fwdRanges = append(fwdRanges, float64(p.Range[i]))
				}
			}
		case *formats.RadarTracks:
			if len(p.Tracks) != len(base) {
				t.Fatalf("%s: %d tracks, generic %d", ch.Topic, len(p.Tracks), len(base))
			}
			for i, b := range base {
				tr := p.Tracks[i]
				if tr.Position.X != field(b, "position", "x") || tr.Velocity.Y != field(b, "velocity", "y") ||
					uint64(tr.Class) != field(b, "classification") || len(tr.ID) != 36 {
					t.Fatalf("track %d: typed %+v, generic %v", i, tr, b)
				}
				if r3.Norm(tr.Position) > 300 {
					t.Errorf("track %d at %v m", i, r3.Norm(tr.Position))
				}
			}
			tracks += len(p.Tracks)
		default:
			t.Fatalf("%s: payload %T", ch.Topic, dec.Payload)
		}
	})
	for topic, n := range want {
		if got[topic] != n {
			t.Errorf("%s: read %d messages, statistics say %d", topic, got[topic], n)
		}
	}
	for _, s := range []string{"fl", "fr", "rl", "rr", "fwd"} {
		if got["/radar/"+s] == 0 {
			t.Errorf("/radar/%s: no messages", s)
		}
	}
	if returns["/radar/fwd"] == 0 || tracks == 0 {
		t.Fatalf("returns %v, tracks %d", returns, tracks)
	}
	// notes/mcap.md §5: the forward radar sees targets at about 96–132 m.
	if m := median(fwdRanges); m < 90 || m > 140 {
		t.Errorf("forward radar median range %.1f m, want 96–132 m", m)
	}
	t.Logf("returns per topic %v, %d tracks, fwd median range %.1f m", returns, tracks, median(fwdRanges))
}

// same32 compares a typed float32 with a generic float64, NaN equal to NaN
// (the real radar writes NaN elevations and Doppler values).
func same32(a float32, g any) bool {
	f, ok := g.(float64)
	return ok && (float64(a) == f || math.IsNaN(f) && math.IsNaN(float64(a)))
}

type rosOneCheck struct {
	imu, odom, fix string
	lat, lon       float64
}

func TestRealROS1(t *testing.T) {
	dir := shareddata.Dir(t, "mcap", "real")
	for _, tc := range []struct {
		file string
		c    rosOneCheck
	}{
		{"husky-imu-odom-gps_robot-localization-test1.ros1.mcap", rosOneCheck{"/imu/data", "/husky_velocity_controller/odom", "/fix", 42.3758, -71.1474}},
		{"jackal-imu-odom_robot-localization-test2.ros1.mcap", rosOneCheck{"/imu/data", "/jackal_velocity_controller/odom", "", 0, 0}},
	} {
		t.Run(tc.file, func(t *testing.T) { checkROS1File(t, filepath.Join(dir, tc.file), tc.c) })
	}
}

func checkROS1File(t *testing.T, path string, c rosOneCheck) {
	want := statCounts(t, path)
	decs := map[uint16]*Decoder{}
	got := map[string]uint64{}
	var accel, lag []float64
	var lat, lon []float64
	eachMessage(t, path, func(sc *mcap.Schema, ch *mcap.Channel, m *mcap.Message) {
		got[ch.Topic]++
		d, ok := decs[ch.ID]
		if !ok {
			d = mustNew(t, sc.Name, sc.Encoding, sc.Data, ch.MessageEncoding)
			if !d.Typed() {
				t.Fatalf("%s (%s): no typed path", ch.Topic, sc.Name)
			}
			decs[ch.ID] = d
		}
		dec, err := d.Decode(m.Data)
		if err != nil {
			t.Fatalf("%s #%d: %v", ch.Topic, got[ch.Topic], err)
		}
		if !dec.HasStamp || dec.FrameID == "" {
			t.Fatalf("%s: stamp %v frame %q", ch.Topic, dec.HasStamp, dec.FrameID)
		}
		check := got[ch.Topic]%50 == 1 // compare with the generic path now and then
		var gen any
		if check {
			if gen, err = d.Value(m.Data); err != nil {
				t.Fatal(err)
			}
			st := field(gen, "header", "stamp").(*formats.Record)
			if dec.Stamp != int64(st.Values[0].(uint64))*1e9+int64(st.Values[1].(uint64)) {
				t.Errorf("%s: stamp %d vs %v", ch.Topic, dec.Stamp, st)
			}
		}
		switch p := dec.Payload.(type) {
		case *formats.IMU:
			if ch.Topic != c.imu {
				t.Fatalf("IMU on %s", ch.Topic)
			}
			accel = append(accel, r3.Norm(p.LinearAcceleration))
			lag = append(lag, float64(int64(m.LogTime)-dec.Stamp)/1e6)
			if p.OrientationCovariance[0] != -1 {
				if n := quat.Abs(p.Orientation); math.Abs(n-1) > 1e-3 {
					t.Errorf("IMU quaternion norm %v", n)
				}
			}
			if check {
				o := field(gen, "orientation").(*formats.Record)
				if p.Orientation.Real != o.Values[3] || p.Orientation.Imag != o.Values[0] || p.Orientation.Kmag != o.Values[2] ||
					p.LinearAcceleration.Y != field(gen, "linear_acceleration", "y") ||
					p.AngularVelocityCovariance[4] != field(gen, "angular_velocity_covariance").([]float64)[4] {
					t.Errorf("IMU typed %+v vs generic %v", p, gen)
				}
			}
		case *formats.Odometry:
			if ch.Topic != c.odom || dec.FrameID != "odom" || p.ChildFrame != "base_link" {
				t.Fatalf("odometry on %s frame %q child %q", ch.Topic, dec.FrameID, p.ChildFrame)
			}
			if check && (p.Pose.Position.X != field(gen, "pose", "pose", "position", "x") ||
				p.AngularVelocity.Z != field(gen, "twist", "twist", "angular", "z") ||
				p.TwistCovariance[35] != field(gen, "twist", "covariance").([]float64)[35]) {
				t.Errorf("odometry typed %+v vs generic %v", p, gen)
			}
		case *formats.GNSS:
			if ch.Topic != c.fix {
				t.Fatalf("GNSS on %s", ch.Topic)
			}
			if p.Status >= 0 {
				lat = append(lat, p.Latitude)
				lon = append(lon, p.Longitude)
			}
			if check && (p.Altitude != field(gen, "altitude") || int64(p.Status) != field(gen, "status", "status") ||
				uint64(p.CovarianceType) != field(gen, "position_covariance_type")) {
				t.Errorf("GNSS typed %+v vs generic %v", p, gen)
			}
		default:
			t.Fatalf("%s: payload %T", ch.Topic, dec.Payload)
		}
	})
	for topic, n := range want {
		if got[topic] != n {
			t.Errorf("%s: read %d messages, statistics say %d", topic, got[topic], n)
		}
	}
	// Gravity: the median |a| of a ground robot is g.
	if m := median(accel); math.Abs(m-9.8) > 0.3 {
		t.Errorf("median |accel| %.3f m/s², want ≈ 9.8", m)
	}
	if c.fix != "" {
		// notes/mcap.md §5: the Husky IMU header stamp is ≈ 36 ms before log_time.
		if m := median(lag); m < 20 || m > 60 {
			t.Errorf("median log_time − stamp %.1f ms, want ≈ 36", m)
		}
		if math.Abs(median(lat)-c.lat) > 0.01 || math.Abs(median(lon)-c.lon) > 0.01 {
			t.Errorf("fix median %.5f, %.5f; want near %.4f, %.4f", median(lat), median(lon), c.lat, c.lon)
		}
	}
	t.Logf("counts %v, median |a| %.3f, median lag %.1f ms", got, median(accel), median(lag))
}

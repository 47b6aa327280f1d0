package writers

import (
	"errors"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"gonum.org/v1/gonum/spatial/r3"
)

func format(name string) Format {
	return Format{Name: name, Doc: name + " files", New: func(Options) (Output, error) { return Output{}, nil }}
}

func TestRegisterRefuses(t *testing.T) {
	noNew := format("x")
	noNew.New = nil
	twoLines := format("x")
	twoLines.Doc = "a\nb"
	resume2 := format("x")
	resume2.Resume = "a\nb"
	cases := []struct {
		name string
		f    Format
		want string
	}{
		{"empty name", format(""), "bad name"},
		{"name with space", format("a b"), "bad name"},
		{"name with comma", format("a,b"), "bad name"},
		{"no doc", Format{Name: "x", New: format("x").New}, "one line"},
		{"doc of two lines", twoLines, "one line"},
		{"resume of two lines", resume2, "one line"},
		{"no New", noNew, "no New"},
		{"twice", format("frames"), "registered twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New(format("frames"))
			defer func() {
				p, _ := recover().(string)
				if !strings.Contains(p, c.want) {
					t.Errorf("panic %q, want …%s…", p, c.want)
				}
			}()
			r.Register(c.f)
		})
	}
}

func TestLookup(t *testing.T) {
	var r Registry
	if _, err := r.Lookup("frames"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("empty registry: %v", err)
	}
	for _, n := range []string{"frames", "nuscenes", "mcap"} {
		r.Register(format(n))
	}
	if got := strings.Join(r.Names(), " "); got != "frames nuscenes mcap" {
		t.Errorf("Names %q, want registration order", got)
	}
	f, err := r.Lookup("nuscenes")
	if err != nil || f.Name != "nuscenes" || f.Doc != "nuscenes files" {
		t.Errorf("Lookup(nuscenes) = %+v, %v", f, err)
	}
	_, err = r.Lookup("ply")
	var ue *UnknownFormatError
	if !errors.As(err, &ue) || ue.Name != "ply" || !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("Lookup(ply) = %v", err)
	}
	if want := `unknown format "ply": want frames, nuscenes or mcap`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	fs := r.Formats()
	fs[0].Name = "changed"
	if r.Names()[0] != "frames" {
		t.Error("Formats returned the registry's own slice")
	}
}

func TestOneOf(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", "a b": "a or b", "a b c": "a, b or c"} {
		if got := OneOf(strings.Fields(in)); got != want {
			t.Errorf("OneOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOptionError(t *testing.T) {
	base := errors.New("unknown camera")
	err := error(&OptionError{Option: "kitti-camera", Err: base})
	if err.Error() != "--kitti-camera: unknown camera" || !errors.Is(err, base) {
		t.Errorf("%v", err)
	}
}

func at(x float64) se3.Transform { return se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{X: x}} }

func TestOptionsSensors(t *testing.T) {
	cal := &fusion.Calibration{
		Extrinsics: map[string]se3.Transform{"lidar_b": at(1), "lidar_a": at(2), "imu": at(3), "radar_fl": at(4), "radar_fr": at(5),
			"cam_b": at(6), "cam_a": at(7)},
		Infos: map[string]formats.CameraInfo{"cam_a": {Width: 640}},
		Sensors: map[string]fusion.TopicSensor{
			"/lidar/b": {Name: "lidar_b", Modality: formats.Lidar}, "/lidar/a": {Name: "lidar_a", Modality: formats.Lidar},
			"/lidar/uncal": {Name: "lidar_0", Modality: formats.Lidar},
			"/imu":         {Name: "imu", Modality: formats.IMUModality},
			"/radar/fl":    {Name: "radar_fl", Modality: formats.Radar}, "/radar/fr": {Name: "radar_fr", Modality: formats.Radar},
			"/cam_b/image": {Name: "cam_b", Modality: formats.Camera}, "/cam_a/image": {Name: "cam_a", Modality: formats.Camera},
			"/cam_a/image2": {Name: "cam_a", Modality: formats.Camera}, "/cam_c/image": {Name: "cam_c", Modality: formats.Camera},
		},
	}
	cases := []struct {
		name      string
		o         Options
		lidar     float64 // translation x of ReferenceLidar, 0: nil
		imu       float64
		radars    int
		cameras   string
		camInfoW0 int
	}{
		{"first lidar in topic order", Options{Calibration: cal}, 2, 3, 2, "cam_a cam_b", 640},
		{"reference topic", Options{Calibration: cal, Reference: "/lidar/b"}, 1, 3, 2, "cam_a cam_b", 640},
		{"uncalibrated reference", Options{Calibration: cal, Reference: "/lidar/uncal"}, 0, 3, 2, "cam_a cam_b", 640},
		{"no calibration", Options{}, 0, 0, 0, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, imu := c.o.ReferenceLidar(), c.o.IMU()
			if (l == nil) != (c.lidar == 0) || l != nil && l.Trans.X != c.lidar {
				t.Errorf("ReferenceLidar %v, want x = %g", l, c.lidar)
			}
			if (imu == nil) != (c.imu == 0) || imu != nil && imu.Trans.X != c.imu {
				t.Errorf("IMU %v, want x = %g", imu, c.imu)
			}
			if got := c.o.Radars(); len(got) != c.radars || c.radars > 0 && got["radar_fr"].Trans.X != 5 {
				t.Errorf("Radars %v", got)
			}
			cams := c.o.Cameras()
			var names []string
			for _, cam := range cams {
				names = append(names, cam.Name)
			}
			if strings.Join(names, " ") != c.cameras || len(cams) > 0 && (cams[0].Info.Width != c.camInfoW0 || cams[0].Extrinsic.Trans.X != 7) {
				t.Errorf("Cameras %+v, want %s", cams, c.cameras)
			}
		})
	}
}

package calibapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
)

// CameraOptions name a camera: in a rig (Rig and Camera, with Frame the
// frame of the input points) or in a calibration file (Calib, with Camera
// when the file has several). They are the flags of "calib project" and
// of "calib solve --method pnp".
type CameraOptions struct {
	// Rig is a rig.yaml; it needs Camera.
	Rig string
	// Camera is the camera's name (or frame) in the rig or in Calib.
	Camera string
	// Frame is the frame of the input points ("": the camera's optical
	// frame): a sensor's name or frame in the rig, or its base frame. It
	// needs Rig.
	Frame string
	// Calib is a calibration file (any format calibio reads).
	Calib string
}

// LoadCamera resolves the camera model and the transform from the input
// points' frame into the camera (the identity unless o.Frame is set).
// Options that do not name exactly one camera source are a UsageError.
func LoadCamera(o CameraOptions) (camera.Model, se3.Transform, error) {
	switch {
	case o.Rig != "" && o.Calib != "":
		return nil, se3.Transform{}, UsageError{errors.New("give --rig or --calib, not both")}
	case o.Calib != "":
		if o.Frame != "" {
			return nil, se3.Transform{}, UsageError{errors.New("--frame needs --rig")}
		}
		c, err := calibio.ReadFile(o.Calib)
		if err != nil {
			return nil, se3.Transform{}, err
		}
		cam, err := c.Camera(o.Camera)
		if err != nil {
			return nil, se3.Transform{}, err
		}
		m, err := cam.Build()
		return m, se3.Identity(), err
	case o.Rig != "":
		if o.Camera == "" {
			return nil, se3.Transform{}, UsageError{errors.New("--rig needs --camera NAME")}
		}
		return rigCamera(o)
	}
	return nil, se3.Transform{}, UsageError{errors.New("give --rig rig.yaml --camera NAME or --calib FILE")}
}

// rigCamera is LoadCamera from a rig file.
func rigCamera(o CameraOptions) (camera.Model, se3.Transform, error) {
	f, err := os.Open(o.Rig)
	if err != nil {
		return nil, se3.Transform{}, err
	}
	defer f.Close()
	rg, err := rig.Load(f)
	if err != nil {
		return nil, se3.Transform{}, err
	}
	s, err := rg.Sensor(o.Camera)
	if err != nil {
		return nil, se3.Transform{}, err
	}
	m, err := s.Camera()
	if err != nil {
		return nil, se3.Transform{}, err
	}
	T := se3.Identity()
	if o.Frame != "" {
		camFrame := s.Frame
		if camFrame == "" {
			camFrame = s.Name
		}
		src := o.Frame
		if fs, err := rg.Sensor(o.Frame); err == nil && fs.Frame != "" {
			src = fs.Frame
		}
		tr, err := rg.Tree()
		if err != nil {
			return nil, se3.Transform{}, err
		}
		if T, err = tr.Lookup(camFrame, src, 0); err != nil {
			return nil, se3.Transform{}, err
		}
	}
	return m, T, nil
}

// Point is where one input point appears in the camera: the pixel (u
// right, v down; NaN when undefined), the depth along the optical axis,
// and Valid when the point is in front of the camera, inside the model's
// field of view and inside the image.
type Point struct {
	U, V, Depth float64
	Valid       bool
}

// Projection is the result of Project: one Point per input point, in input
// order. It marshals to the command's --json output, {"points": [{"u",
// "v", "depth", "valid"}, ...]} with null for NaN and ±Inf.
type Projection struct {
	Points []Point
}

// Project reads the points of the file points (x,y,z per line, in metres,
// calibio.ReadRows) and projects them into the camera o names.
func Project(o CameraOptions, points string) (*Projection, error) {
	m, T, err := LoadCamera(o)
	if err != nil {
		return nil, err
	}
	pts, err := calibio.ReadPointsFile(points)
	if err != nil {
		return nil, err
	}
	in := m.Intrinsics()
	out := &Projection{Points: make([]Point, len(pts))}
	for i, q := range pts {
		p := T.Apply(q)
		u, v, ok := m.Project(p)
		out.Points[i] = Point{U: u, V: v, Depth: p.Z, Valid: ok && in.InImage(u, v)}
	}
	return out, nil
}

// WriteCSV writes u,v,depth,valid per point, no header: six decimals,
// "nan" where undefined, valid 1 or 0. It returns the first write error.
func (p *Projection) WriteCSV(w io.Writer) error {
	sw := &stickyWriter{w: w}
	for _, q := range p.Points {
		valid := 0
		if q.Valid {
			valid = 1
		}
		fmt.Fprintf(sw, "%s,%s,%s,%d\n", csvNum(q.U), csvNum(q.V), csvNum(q.Depth), valid)
	}
	return sw.err
}

// jsonPixel is one point of the --json output.
type jsonPixel struct {
	U     *float64 `json:"u"`
	V     *float64 `json:"v"`
	Depth *float64 `json:"depth"`
	Valid bool     `json:"valid"`
}

// MarshalJSON is the --json form of the projection.
func (p *Projection) MarshalJSON() ([]byte, error) {
	js := make([]jsonPixel, len(p.Points))
	for i, q := range p.Points {
		js[i] = jsonPixel{U: jsonNum(q.U), V: jsonNum(q.V), Depth: jsonNum(q.Depth), Valid: q.Valid}
	}
	return json.Marshal(struct {
		Points []jsonPixel `json:"points"`
	}{js})
}

// jsonNum is x for JSON, nil (null) for NaN and ±Inf.
func jsonNum(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// csvNum is x with six decimals, "nan" for NaN.
func csvNum(x float64) string {
	if math.IsNaN(x) {
		return "nan"
	}
	return strconv.FormatFloat(x, 'f', 6, 64)
}

package calibapp_test

import (
	"os"
	"path/filepath"

	"github.com/rigsync/rigsync/internal/app/calibapp"
)

// Project three points into a camera given by a ROS camera_info file, as
// "rigsync calib project --calib cam.yaml points.csv" does: the first is
// seen, the second is behind the camera, the third is in front of it but
// outside the image.
func ExampleProject() {
	dir, err := os.MkdirTemp("", "calibapp")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cam := filepath.Join(dir, "cam.yaml")
	points := filepath.Join(dir, "points.csv")
	if err := os.WriteFile(cam, []byte(`image_width: 640
image_height: 480
camera_name: front
camera_matrix: {rows: 3, cols: 3, data: [500, 0, 320, 0, 500, 240, 0, 0, 1]}
distortion_model: plumb_bob
distortion_coefficients: {rows: 1, cols: 5, data: [0, 0, 0, 0, 0]}
`), 0o644); err != nil {
		panic(err)
	}
	if err := os.WriteFile(points, []byte("x,y,z\n1,0.5,10\n0,0,-2\n10,0,1\n"), 0o644); err != nil {
		panic(err)
	}
	res, err := calibapp.Project(calibapp.CameraOptions{Calib: cam}, points)
	if err != nil {
		panic(err)
	}
	if err := res.WriteCSV(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// 370.000000,265.000000,10.000000,1
	// nan,nan,-2.000000,0
	// 5320.000000,240.000000,1.000000,0
}

package rosenc

import (
	"math"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// marshalCase is one message of the shared golden table.
type marshalCase struct {
	name    string
	typ     string
	stamp   int64
	frameID string
	payload formats.Payload
}

// marshalCases exercise every type Marshal writes, with values chosen so
// that every field is distinguishable (no two fields share a value) and
// with frame ids whose lengths put the following fields at every
// alignment.
func marshalCases() []marshalCase {
	q := quat.Number{Real: 0.9, Imag: 0.1, Jmag: 0.2, Kmag: 0.3} // w=0.9 x=0.1 y=0.2 z=0.3
	seq := func(n int, start float64) (v [36]float64) {
		for i := range n {
			v[i] = start + float64(i)
		}
		return v
	}
	c9, c9b, c9c := seq(9, 1), seq(9, 11), seq(9, 21)
	c36 := seq(36, 100)
	var k, r [9]float64
	var p [12]float64
	for i := range k {
		k[i], r[i] = float64(i)+0.5, float64(i)+10.25
	}
	for i := range p {
		p[i] = float64(i) + 20.125
	}
	pts := &formats.Points{
		X: []float32{1, 2}, Y: []float32{3, 4}, Z: []float32{5, 6},
		Intensity: []float32{7, 8}, Ring: []uint16{9, 10}, TimeOffset: []int64{11, 12000},
	}
	return []marshalCase{
		{"compressed_image", TypeCompressedImage, 1_700_000_000_123_456_789, "cam_front",
			&formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff, 0xd9}}},
		{"image", TypeImage, 5_000_000_001, "cam",
			&formats.Image{Width: 2, Height: 2, Encoding: "rgb8", Step: 6, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}},
		{"pointcloud2_xyzirt", TypePointCloud2, 42, "lidar", PackPoints(pts, LayoutXYZIRT)},
		{"pointcloud2_velodyne", TypePointCloud2, 43, "velo", PackPoints(pts, LayoutVelodyne)},
		{"pointcloud2_radar", TypePointCloud2, 44, "radar_fl", PackRadar(&formats.RadarScan{
			X: []float32{10, 20}, Y: []float32{-1, 1}, Z: []float32{0.5, 0.25}, Doppler: []float32{-3, 4}, RCS: []float32{12, -5}})},
		{"imu", TypeImu, 1_500_000_000_250_000_000, "imu_link", &formats.IMU{
			Orientation: q, OrientationCovariance: [9]float64(c9[:9]),
			AngularVelocity: r3.Vec{X: 0.01, Y: 0.02, Z: 0.03}, AngularVelocityCovariance: [9]float64(c9b[:9]),
			LinearAcceleration: r3.Vec{X: 0.1, Y: -0.2, Z: 9.81}, LinearAccelerationCovariance: [9]float64(c9c[:9])}},
		{"imu_negative_stamp", TypeImu, -1, "a", &formats.IMU{Orientation: quat.Number{Real: 1}}},
		{"camera_info", TypeCameraInfo, 7_000_000_000, "cam_optical", &formats.CameraInfo{
			Width: 1920, Height: 1080, DistortionModel: "plumb_bob", D: []float64{-0.1, 0.01, 0.001, -0.002, 0},
			K: k, R: r, P: p, BinningX: 1, BinningY: 2}},
		{"navsatfix", TypeNavSatFix, 9_000_000_000, "gps", &formats.GNSS{
			Latitude: 42.3758, Longitude: -71.1474, Altitude: 12.5, PositionCovariance: [9]float64(c9[:9]),
			CovarianceType: 2, Status: 1}},
		{"tf", TypeTFMessage, 0, "", &formats.Transforms{Transforms: []formats.Transform{
			{Stamp: 11_000_000_001, Parent: "base_link", Child: "lidar", Translation: r3.Vec{X: 1, Y: 2, Z: 3}, Rotation: q},
			{Stamp: 11_000_000_002, Parent: "map", Child: "odom", Translation: r3.Vec{X: -1, Y: -2, Z: -3}, Rotation: quat.Number{Real: 1}},
		}}},
		{"odometry", TypeOdometry, 13_000_000_000, "odom", &formats.Odometry{
			ChildFrame: "base_link", Pose: formats.Pose{Position: r3.Vec{X: 1, Y: 2, Z: 3}, Orientation: q},
			PoseCovariance: c36, LinearVelocity: r3.Vec{X: 0.5, Y: 0.6, Z: 0.7}, AngularVelocity: r3.Vec{X: 0.8, Y: 0.9, Z: 1.1},
			TwistCovariance: seq(36, 200)}},
		{"pose_stamped", TypePoseStamped, 15_000_000_000, "map", &formats.PoseStamped{
			Pose: formats.Pose{Position: r3.Vec{X: 4, Y: 5, Z: 6}, Orientation: q}}},
		{"radar_scan", TypeRadarScan, 17_000_000_000, "radar_fwd", &formats.RadarScan{
			Range: []float32{96.5, 131.25}, Azimuth: []float32{0.1, -0.2}, Elevation: []float32{0.01, 0},
			Doppler: []float32{-12.5, 3}, RCS: []float32{10, float32(math.Inf(-1))}}},
		{"radar_scan_empty", TypeRadarScan, 18_000_000_000, "r", &formats.RadarScan{}},
	}
}

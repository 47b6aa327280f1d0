package formats

import (
	"fmt"
	"strings"
)

// Modality is the kind of sensor data a channel carries.
type Modality uint8

// The modalities rigsync knows.
const (
	Other Modality = iota
	Camera
	CameraInfoModality
	Lidar
	Radar
	IMUModality
	TF
	OdometryModality
	GNSSModality
)

var modalityNames = [...]string{"other", "camera", "camera_info", "lidar", "radar", "imu", "tf", "odometry", "gnss"}

// String returns the modality's name as used in reports and JSON.
func (m Modality) String() string {
	if int(m) < len(modalityNames) {
		return modalityNames[m]
	}
	return fmt.Sprintf("modality(%d)", m)
}

// MarshalText implements encoding.TextMarshaler.
func (m Modality) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Modality) UnmarshalText(b []byte) error {
	for i, n := range modalityNames {
		if n == string(b) {
			*m = Modality(i)
			return nil
		}
	}
	return fmt.Errorf("formats: unknown modality %q", b)
}

// ModalityOfType classifies a schema name (any of pkg/Type, pkg/msg/Type,
// foxglove.Type). Point clouds are Lidar here; use ModalityOfPointFields
// on a decoded cloud to tell radar clouds apart.
func ModalityOfType(schemaName string) Modality {
	n := schemaName
	if i := strings.LastIndexAny(n, "/."); i >= 0 {
		n = n[i+1:]
	}
	switch n {
	case "CompressedImage", "Image", "RawImage", "CompressedVideo":
		return Camera
	case "CameraInfo", "CameraCalibration":
		return CameraInfoModality
	case "PointCloud2", "PointCloud", "LaserScan":
		return Lidar
	case "RadarScan", "RadarTracks", "RadarReturn":
		return Radar
	case "Imu":
		return IMUModality
	case "TFMessage", "FrameTransform", "FrameTransforms", "TransformStamped":
		return TF
	case "Odometry", "PoseStamped", "PoseWithCovarianceStamped", "PoseInFrame", "PosesInFrame":
		return OdometryModality
	case "NavSatFix", "LocationFix", "GPSFix":
		return GNSSModality
	}
	return Other
}

// radarFieldNames are point field names that only radar clouds carry.
var radarFieldNames = []string{"doppler", "rcs", "radial_velocity", "radial_speed", "velocity", "vr", "v_r", "snr", "power", "amplitude"}

// ModalityOfPointFields tells a radar point cloud (one with Doppler or RCS
// like fields) from a LiDAR one.
func ModalityOfPointFields(fields []PointField) Modality {
	for _, f := range fields {
		name := strings.ToLower(f.Name)
		for _, r := range radarFieldNames {
			if name == r || strings.HasPrefix(name, r+"_") {
				return Radar
			}
		}
	}
	return Lidar
}

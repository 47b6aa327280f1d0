package labels

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// NuScenesSample is one keyframe of a nuScenes layout with the ego pose
// its boxes are placed with.
type NuScenesSample struct {
	// Token is the sample token; TimestampUS its timestamp (µs).
	Token       string
	TimestampUS int64
	// Channel is the LiDAR channel whose keyframe gave Ego (the first
	// LiDAR channel by name with a keyframe in the sample), "" if none.
	Channel string
	// Ego is T_global_ego of that LiDAR keyframe (nuScenes' ego_pose);
	// the identity without one.
	Ego se3.Transform
}

type nusSampleData struct {
	Token                 string `json:"token"`
	SampleToken           string `json:"sample_token"`
	EgoPoseToken          string `json:"ego_pose_token"`
	CalibratedSensorToken string `json:"calibrated_sensor_token"`
	IsKeyFrame            bool   `json:"is_key_frame"`
}

type nusEgoPose struct {
	Token       string     `json:"token"`
	Translation [3]float64 `json:"translation"`
	Rotation    [4]float64 `json:"rotation"`
}

type nusCalibrated struct {
	Token       string `json:"token"`
	SensorToken string `json:"sensor_token"`
}

type nusSensor struct {
	Token    string `json:"token"`
	Channel  string `json:"channel"`
	Modality string `json:"modality"`
}

// ReadNuScenesSamples reads the samples of a nuScenes version folder
// (fsys rooted at it: sample, sample_data, ego_pose, calibrated_sensor and
// sensor tables) in sample.json's order, each with the ego pose of its
// LiDAR keyframe: what moves boxes between the ego frame (base_link in
// rigsync's export) and nuScenes' global frame,
// Box.Transformed(s.Ego, FrameGlobal), and back with s.Ego.Inverse().
func ReadNuScenesSamples(fsys fs.FS) ([]NuScenesSample, error) {
	samples, err := readTable[nusSample](fsys, "sample.json", false)
	if err != nil {
		return nil, err
	}
	sds, err := readTable[nusSampleData](fsys, "sample_data.json", false)
	if err != nil {
		return nil, err
	}
	poses, err := readTable[nusEgoPose](fsys, "ego_pose.json", false)
	if err != nil {
		return nil, err
	}
	cals, err := readTable[nusCalibrated](fsys, "calibrated_sensor.json", false)
	if err != nil {
		return nil, err
	}
	sensors, err := readTable[nusSensor](fsys, "sensor.json", false)
	if err != nil {
		return nil, err
	}
	sensorOf := map[string]nusSensor{}
	for _, s := range sensors {
		sensorOf[s.Token] = s
	}
	lidarOf := map[string]string{} // calibrated sensor token -> LiDAR channel
	for _, c := range cals {
		if s := sensorOf[c.SensorToken]; s.Modality == "lidar" {
			lidarOf[c.Token] = s.Channel
		}
	}
	poseOf := map[string]nusEgoPose{}
	for _, p := range poses {
		poseOf[p.Token] = p
	}
	type key struct{ channel, pose string }
	keyframes := map[string][]key{}
	for _, sd := range sds {
		if ch, ok := lidarOf[sd.CalibratedSensorToken]; ok && sd.IsKeyFrame {
			keyframes[sd.SampleToken] = append(keyframes[sd.SampleToken], key{ch, sd.EgoPoseToken})
		}
	}
	out := make([]NuScenesSample, len(samples))
	for i, s := range samples {
		ns := NuScenesSample{Token: s.Token, TimestampUS: s.Timestamp, Ego: se3.Identity()}
		ks := keyframes[s.Token]
		slices.SortFunc(ks, func(a, b key) int { return strings.Compare(a.channel, b.channel) })
		if len(ks) > 0 {
			p, ok := poseOf[ks[0].pose]
			if !ok {
				return nil, errf("sample_data.json", "sample "+s.Token, "ego_pose_token %q not in ego_pose.json", ks[0].pose)
			}
			T, err := se3.FromQuatWXYZ(p.Rotation[0], p.Rotation[1], p.Rotation[2], p.Rotation[3], r3.Vec{X: p.Translation[0], Y: p.Translation[1], Z: p.Translation[2]})
			if err != nil {
				return nil, errf("ego_pose.json", "token "+p.Token, "%v", fmt.Errorf("rotation %v: %w", p.Rotation, err))
			}
			ns.Channel, ns.Ego = ks[0].channel, T
		}
		out[i] = ns
	}
	return out, nil
}

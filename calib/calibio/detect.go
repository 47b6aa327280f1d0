package calibio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Detect recognises the format of calibration content.
func Detect(b []byte) (Format, error) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return "", fmt.Errorf("%w: empty input", ErrUnknownFormat)
	}
	switch t[0] {
	case '[':
		var recs []map[string]json.RawMessage
		if err := json.Unmarshal(t, &recs); err == nil && len(recs) > 0 {
			if _, ok := recs[0]["rotation"]; ok {
				if _, ok := recs[0]["translation"]; ok {
					return NuScenes, nil
				}
			}
			if _, ok := recs[0]["channel"]; ok {
				if _, ok := recs[0]["modality"]; ok {
					return NuScenesSensor, nil
				}
			}
		}
		return "", fmt.Errorf("%w: JSON array that is not a nuScenes calibrated_sensor or sensor table", ErrUnknownFormat)
	case '{':
		var obj map[string]map[string]json.RawMessage
		if err := json.Unmarshal(t, &obj); err == nil {
			for _, v := range obj {
				if _, ok := v["param_type"]; ok {
					return OpenCalib, nil
				}
			}
		}
		// Could still be flow-style YAML; fall through.
	}
	if bytes.HasPrefix(t, []byte("%YAML:1.")) || bytes.Contains(b, []byte("!!opencv-matrix")) {
		return OpenCV, nil
	}
	if f, ok := detectKITTI(b); ok {
		return f, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil || m == nil {
		return "", fmt.Errorf("%w: neither JSON, YAML nor KITTI text", ErrUnknownFormat)
	}
	has := func(mm map[string]any, keys ...string) bool {
		for _, k := range keys {
			if _, ok := mm[k]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has(m, "camera_matrix", "distortion_coefficients"):
		return ROSCameraInfo, nil
	case has(m, "K", "D") || has(m, "k", "d", "distortion_model"):
		return ROSCameraInfoMsg, nil
	case has(m, "transform", "child_frame_id"):
		return ApolloExtrinsics, nil
	}
	kalibrCam, kalibrIMU, autoware := 0, 0, 0
	for k, v := range m {
		sub, ok := v.(map[string]any)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "cam") && has(sub, "intrinsics"):
			kalibrCam++
		case strings.HasPrefix(k, "imu") && (has(sub, "accelerometer_noise_density") || has(sub, "T_i_b")):
			kalibrIMU++
		default:
			for _, cv := range sub {
				if cm, ok := cv.(map[string]any); ok && has(cm, "x", "y", "z", "roll", "pitch", "yaw") {
					autoware++
					break
				}
			}
		}
	}
	switch {
	case kalibrCam > 0:
		return Kalibr, nil
	case kalibrIMU > 0:
		return KalibrIMU, nil
	case autoware > 0:
		return Autoware, nil
	}
	return "", fmt.Errorf("%w: YAML with keys %v", ErrUnknownFormat, sortedKeys(m))
}

// detectKITTI recognises "key: numbers" text files.
func detectKITTI(b []byte) (Format, bool) {
	keys := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize)
	lines := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, _, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(k, " \t{}[]\"") {
			return "", false
		}
		keys[k] = true
		lines++
	}
	if lines == 0 {
		return "", false
	}
	switch {
	case keys["P_rect_00"] || keys["K_00"] || keys["S_rect_00"] || keys["P_rect_02"]:
		return KITTIRaw, true
	case keys["Tr"] || keys["P0"] || keys["P2"] || keys["Tr_velo_to_cam"]:
		return KITTIOdometry, true
	case keys["R"] && keys["T"]:
		return KITTIRigid, true
	}
	return "", false
}

package rtsp

import (
	"strings"
	"testing"
)

func TestCameraName(t *testing.T) {
	for _, tc := range []struct {
		url, name string
		want      string
		err       string
	}{
		{"rtsp://10.0.0.21/cam/front", "", "cam_front", ""},
		{"rtsps://user:pw@cam.local:8554/", "", "rtsp", ""},
		{"rtsp://10.0.0.21/stream1", "front", "front", ""},
		{"rtsp://10.0.0.21/stream1", "front cam", "", "name"},
		{"http://user:pw@10.0.0.21/x", "", "", "scheme"},
		{"rtsp://user:pw@[::1", "", "", "bad url"},
	} {
		got, err := CameraName(tc.url, tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "pw") {
				t.Errorf("%s %q: %v; want an error about %s without the password", tc.url, tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %q: %q, %v; want %q", tc.url, tc.name, got, err, tc.want)
		}
	}
}

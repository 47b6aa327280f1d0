package rtsp

import (
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/base"
)

// CameraName is the sensor name a client for rawURL gets (Client.Name),
// without connecting: name when given, else made from the URL path as Dial
// does. It checks the URL (rtsp or rtsps) and the name the way Dial does,
// so a caller can validate its arguments before dialling anything.
func CameraName(rawURL, name string) (string, error) {
	red := Redact(rawURL)
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return "", fmt.Errorf("rtsp: bad url %s: %w", red, scrub(secrets(rawURL), err))
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return "", fmt.Errorf("rtsp: bad url %s: scheme %q, want rtsp or rtsps", red, u.Scheme)
	}
	if name == "" {
		return nameFromURL(u), nil
	}
	if nameFromURL(&base.URL{Path: name}) != name {
		return "", fmt.Errorf("rtsp: %s: name %q: use letters, digits, '_' and '-' only (it becomes a topic and frame id)", red, name)
	}
	return name, nil
}

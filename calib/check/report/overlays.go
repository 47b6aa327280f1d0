package report

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

// jpegQuality is the quality of overlay images: they are photographs with
// dots on them, which JPEG keeps legible at a tenth of PNG's size.
const jpegQuality = 90

// WriteOverlays writes the report's pictures into dir (created if needed)
// and returns the paths written, in the report's order:
//
//   - per overlay, CAMERA_LIDAR_tSECONDS_before.jpg and, when a correction is
//     suggested, ..._after.jpg: LiDAR points coloured by depth on the camera
//     image with the current and the corrected calibration;
//   - per pair with time windows, time_KIND_SENSOR_REFERENCE.png: the score
//     over time (TimePlot);
//   - per pair with a perturbation search, search_KIND_SENSOR_REFERENCE.png:
//     the score over the search (SearchPlot).
//
// Existing files of the same names are replaced.
func WriteOverlays(dir string, rep *check.Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var paths []string
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := atomicfile.WriteFile(p, data); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		paths = append(paths, p)
		return nil
	}
	for i := range rep.Overlays {
		o := &rep.Overlays[i]
		base := fmt.Sprintf("%s_%s_t%07.3fs", fileSafe(o.Sensor), fileSafe(o.Reference), float64(o.Stamp-rep.Start)/1e9)
		for _, im := range []struct {
			suffix string
			img    image.Image
		}{{"before", o.Before}, {"after", o.After}} {
			if im.img == nil {
				continue
			}
			b, err := encodeJPEG(im.img)
			if err != nil {
				return paths, fmt.Errorf("report: overlay %s %s: %w", o.Sensor, im.suffix, err)
			}
			if err := write(base+"_"+im.suffix+".jpg", b); err != nil {
				return paths, err
			}
		}
	}
	for i := range rep.Pairs {
		p := &rep.Pairs[i]
		name := fileSafe(p.Kind) + "_" + fileSafe(p.Sensor) + "_" + fileSafe(p.Reference) + ".png"
		if len(p.Windows) > 0 {
			var buf bytes.Buffer
			if err := TimePlot(&buf, p, rep.Start); err == nil {
				if err := write("time_"+name, buf.Bytes()); err != nil {
					return paths, err
				}
			}
		}
		if len(p.Search) > 0 {
			var buf bytes.Buffer
			if err := SearchPlot(&buf, p); err == nil {
				if err := write("search_"+name, buf.Bytes()); err != nil {
					return paths, err
				}
			}
		}
	}
	return paths, nil
}

func encodeJPEG(img image.Image) ([]byte, error) {
	if r := img.Bounds(); r.Empty() {
		return nil, fmt.Errorf("empty image %v", r)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fileSafe maps a sensor or frame name to a file-name part: letters,
// digits, '-', '.' and '_' are kept, everything else becomes '_'.
func fileSafe(s string) string {
	s = strings.Trim(s, "/")
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

package report

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"strings"

	"github.com/rigsync/rigsync/calib/check"
)

// jpegQuality is the quality of overlay images: they are photographs with
// dots on them, which JPEG keeps legible at a tenth of PNG's size.
const jpegQuality = 90

// File is one picture of a report: its file name (no folder) and bytes.
type File struct {
	Name string
	Data []byte
}

// Overlays returns the report's pictures, in the report's order (the
// caller writes them; this package does no file I/O):
//
//   - per overlay, CAMERA_LIDAR_tSECONDS_before.jpg and, when a correction is
//     suggested, ..._after.jpg: LiDAR points coloured by depth on the camera
//     image with the current and the corrected calibration;
//   - per pair with time windows, time_KIND_SENSOR_REFERENCE.png: the score
//     over time (TimePlot);
//   - per pair with a perturbation search, search_KIND_SENSOR_REFERENCE.png:
//     the score over the search (SearchPlot).
func Overlays(rep *check.Report) ([]File, error) {
	var files []File
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
				return files, fmt.Errorf("report: overlay %s %s: %w", o.Sensor, im.suffix, err)
			}
			files = append(files, File{base + "_" + im.suffix + ".jpg", b})
		}
	}
	for i := range rep.Pairs {
		p := &rep.Pairs[i]
		name := fileSafe(p.Kind) + "_" + fileSafe(p.Sensor) + "_" + fileSafe(p.Reference) + ".png"
		if len(p.Windows) > 0 {
			var buf bytes.Buffer
			if err := TimePlot(&buf, p, rep.Start); err == nil {
				files = append(files, File{"time_" + name, buf.Bytes()})
			}
		}
		if len(p.Search) > 0 {
			var buf bytes.Buffer
			if err := SearchPlot(&buf, p); err == nil {
				files = append(files, File{"search_" + name, buf.Bytes()})
			}
		}
	}
	return files, nil
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

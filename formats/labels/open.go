package labels

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// OpenFormats are the formats Open reads ("auto": a folder holding one of
// rigsync's KITTI, CVAT, Segments.ai, Xtreme1 or frames outputs is that
// output, any other folder nuScenes, a file rigsync labels JSON). KITTI,
// Segments.ai, CVAT, Xtreme1 and frames are read from a rigsync fuse
// output folder, whose sidecars give the frames' stamps and calibration or
// world frame (ReadExport).
var OpenFormats = []string{"auto", "rigsync", "nuscenes", "kitti", "segments", "cvat", "xtreme1", "frames"}

// ErrFormat is wrapped by Open's error for a format not in OpenFormats.
var ErrFormat = errors.New("labels format not readable here")

// Open reads the labels at path in format ("" or "auto": see OpenFormats;
// a file inside a folder names the folder for nuScenes and the exports)
// and returns them with the format it read. Boxes keep the frame their
// format gives (ReadExport says which).
func Open(path, format string) (*Set, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("labels: %w", err)
	}
	if format == "" || format == "auto" {
		format = "rigsync"
		if st.IsDir() {
			format = "nuscenes"
			if f := exportFormat(path); f != "" {
				format = f
			}
		} else if d := filepath.Dir(path); exportFormat(d) != "" {
			format = exportFormat(d)
		} else if b := filepath.Base(d); (b == "label_2" || b == "result" || filepath.Base(path) == "frame.json") && exportFormat(filepath.Dir(d)) != "" {
			format = exportFormat(filepath.Dir(d))
		}
	}
	switch format {
	case "rigsync":
		f, err := os.Open(path)
		if err != nil {
			return nil, "", fmt.Errorf("labels: %w", err)
		}
		defer f.Close()
		s, err := ReadJSON(f, path)
		return s, format, err
	case "nuscenes":
		dir := path
		if !st.IsDir() {
			dir = filepath.Dir(path)
		}
		s, err := ReadNuScenes(os.DirFS(dir))
		return s, format, err
	case "kitti", "segments", "cvat", "xtreme1", "frames":
		dir := path
		if !st.IsDir() {
			dir = filepath.Dir(path)
			if b := filepath.Base(dir); format == "kitti" && (b == "label_2" || b == "calib") || format == "xtreme1" && b == "result" ||
				format == "frames" && b != "" && exportFormat(dir) == "" {
				dir = filepath.Dir(dir)
			}
		}
		s, err := ReadExport(os.DirFS(dir), format)
		if err != nil {
			return nil, "", fmt.Errorf("%w (reading %s as rigsync's %s export)", err, dir, format)
		}
		return s, format, nil
	}
	return nil, "", fmt.Errorf("labels: format %q: want one of %s (convert other formats with formats/labels first): %w", format, strings.Join(OpenFormats, ", "), ErrFormat)
}

// ByStamp returns frames sorted by stamp (then index) and the tolerance
// for matching them to other frames by stamp: half their smallest
// spacing, 50 ms at most. fuse --labels and labels check/sync both match
// with it.
func ByStamp(frames []Frame) ([]Frame, int64) {
	fr := slices.Clone(frames)
	slices.SortStableFunc(fr, func(a, b Frame) int {
		switch {
		case a.StampNS < b.StampNS:
			return -1
		case a.StampNS > b.StampNS:
			return 1
		}
		return a.Index - b.Index
	})
	tol := int64(50e6)
	for i := 1; i < len(fr); i++ {
		if d := fr[i].StampNS - fr[i-1].StampNS; d > 0 && d/2 < tol {
			tol = d / 2
		}
	}
	return fr, tol
}

package labels

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// OpenFormats are the formats Open reads without more context than the
// labels themselves ("auto": a folder is nuScenes, a file rigsync labels
// JSON). KITTI, Segments.ai, CVAT and Xtreme1 need their frame's
// calibration or world frame: read them with their own readers.
var OpenFormats = []string{"auto", "rigsync", "nuscenes"}

// ErrFormat is wrapped by Open's error for a format not in OpenFormats.
var ErrFormat = errors.New("labels format not readable here")

// Open reads the labels at path in format ("" or "auto": a folder, or a
// file inside one, read as nuScenes tables when path is a folder; a file
// as rigsync labels JSON) and returns them with the format it read.
func Open(path, format string) (*Set, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("labels: %w", err)
	}
	if format == "" || format == "auto" {
		format = "rigsync"
		if st.IsDir() {
			format = "nuscenes"
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

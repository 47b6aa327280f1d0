package labels

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpen: a file reads as rigsync labels JSON and a folder as nuScenes
// tables, by format or by "auto"; other formats are ErrFormat; a missing
// path is an error naming it.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	set := testSet(false)
	for i := range set.Frames { // nuScenes boxes are global
		for j := range set.Frames[i].Boxes {
			set.Frames[i].Boxes[j].Frame = FrameGlobal
		}
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, set); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "l.json")
	os.WriteFile(file, b.Bytes(), 0o644)
	nu := filepath.Join(dir, "nu")
	os.Mkdir(nu, 0o755)
	if err := WriteNuScenes(nu, set); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, format, want string }{
		{file, "", "rigsync"}, {file, "auto", "rigsync"}, {file, "rigsync", "rigsync"},
		{nu, "auto", "nuscenes"}, {nu, "nuscenes", "nuscenes"},
	} {
		s, f, err := Open(tc.path, tc.format)
		if err != nil || f != tc.want {
			t.Fatalf("Open(%s, %q) = %q, %v; want %q", tc.path, tc.format, f, err, tc.want)
		}
		n := 0
		for _, fr := range s.Frames {
			n += len(fr.Boxes)
		}
		want := 0
		for _, fr := range set.Frames {
			want += len(fr.Boxes)
		}
		if n != want {
			t.Errorf("Open(%s, %q): %d boxes, want %d", tc.path, tc.format, n, want)
		}
	}
	if _, _, err := Open(file, "waymo"); !errors.Is(err, ErrFormat) {
		t.Errorf("waymo: %v, want ErrFormat", err)
	}
	// The exports need their fuse output folder's sidecars.
	for _, f := range ExportFormats {
		if _, _, err := Open(file, f); err == nil || !strings.Contains(err.Error(), "rigsync's "+f+" export") {
			t.Errorf("%s on a labels JSON file: %v, want an error naming the export", f, err)
		}
	}
	if _, _, err := Open(filepath.Join(dir, "none.json"), ""); err == nil || !bytes.Contains([]byte(err.Error()), []byte("none.json")) {
		t.Errorf("missing file: %v", err)
	}
}

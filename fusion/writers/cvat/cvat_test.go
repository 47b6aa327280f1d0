package cvat

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"gonum.org/v1/gonum/spatial/r3"
)

func frame(i int) *fused.Frame {
	return &fused.Frame{Index: i, Stamp: int64(i), FrameID: "base_link", Ego: se3.Identity(),
		Lidar: &fused.Cloud{Points: formats.Points{X: []float32{1, float32(i)}, Y: []float32{2, 0}, Z: []float32{3, 0}, Intensity: []float32{9, 9}}},
		Cameras: []fused.Camera{
			{Name: "/cam/front", Image: &formats.CompressedImage{Format: "jpeg", Data: []byte("front")}, BaseCamera: se3.Identity()},
			{Name: "cam left", Image: &formats.CompressedImage{Format: "png", Data: []byte("left")}, BaseCamera: se3.Identity()},
		}}
}

func write(t *testing.T, root string, opts Options, fs []*fused.Frame, close bool) *Writer {
	t.Helper()
	w, err := New(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if err := w.Write(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	if close {
		w.Close()
	}
	return w
}

func files(t *testing.T, root string) map[string]string {
	m := map[string]string{}
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			m[filepath.ToSlash(rel)] = string(b)
		}
		return err
	})
	return m
}

func TestLayout(t *testing.T) {
	root := t.TempDir()
	write(t, root, Options{}, []*fused.Frame{frame(0), frame(1)}, true)
	m := files(t, root)
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	want := "pointcloud/000000.pcd pointcloud/000001.pcd related_images/000000_pcd/cam_front.jpg related_images/000000_pcd/cam_left.png " +
		"related_images/000001_pcd/cam_front.jpg related_images/000001_pcd/cam_left.png rigsync_manifest.jsonl"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("files\n%s\nwant\n%s", got, want)
	}
	if m["related_images/000001_pcd/cam_left.png"] != "left" {
		t.Error("image not copied as is")
	}
	pts, err := pcd.Read(bytes.NewReader([]byte(m["pointcloud/000001.pcd"])))
	if err != nil || len(pts) != 2 || pts[0] != (r3.Vec{X: 1, Y: 2, Z: 3}) || pts[1] != (r3.Vec{X: 1}) {
		t.Errorf("points %v, %v", pts, err)
	}
	if !strings.Contains(m["pointcloud/000000.pcd"], "\nFIELDS x y z intensity\n") || strings.Contains(m["pointcloud/000000.pcd"][2:200], "#") {
		t.Errorf("header %q", m["pointcloud/000000.pcd"][:150])
	}
}

func TestResume(t *testing.T) {
	all := []*fused.Frame{frame(0), frame(1), frame(2)}
	clean, crashed := t.TempDir(), t.TempDir()
	write(t, clean, Options{}, all, true)
	write(t, crashed, Options{}, all[:1], false)
	os.MkdirAll(filepath.Join(crashed, "related_images", "000001_pcd"), 0o755)
	os.WriteFile(filepath.Join(crashed, "related_images", "000001_pcd", "cam_front.jpg"), []byte("front"), 0o644)
	if _, err := New(crashed, Options{}); !errors.Is(err, outdir.ErrNotEmpty) {
		t.Fatalf("reopen: %v", err)
	}
	write(t, crashed, Options{Resume: true}, all, true)
	a, b := files(t, clean), files(t, crashed)
	if len(a) != len(b) {
		t.Errorf("%d vs %d files", len(b), len(a))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s differs", k)
		}
	}
}

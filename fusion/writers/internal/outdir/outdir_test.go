package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"cam_front", "cam_front"},
		{"/cam/front/image_raw", "cam_front_image_raw"},
		{"CAM FRONT", "CAM_FRONT"},
		{"../../etc/passwd", "etc_passwd"},
		{"..", "unnamed"},
		{"", "unnamed"},
		{"a\x00b\nc", "a_b_c"},
		{"kamera_vorn_ü", "kamera_vorn"},
		{"con", "con_"},
		{"NUL", "NUL_"},
		{"__x__", "x"},
		{"lidar-top.1", "lidar-top_1"},
		{strings.Repeat("a", 300), strings.Repeat("a", 91) + Suffix(strings.Repeat("a", 300))},
		{strings.Repeat("é", 300), "unnamed"},
		{strings.Repeat("ab/", 100), strings.Repeat("ab_", 30) + "a" + Suffix(strings.Repeat("ab/", 100))},
	}
	for _, c := range cases {
		if got := Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	n := NewNames("lidar", "frame")
	for _, c := range []struct{ in, want string }{
		{"/cam/front", "cam_front"},
		{"cam front", "cam_front" + Suffix("cam front")},
		{"/cam/front", "cam_front"},
		{"Lidar", "Lidar" + Suffix("Lidar")},
		{"cam:front", "cam_front" + Suffix("cam:front")},
		{"frame", "frame" + Suffix("frame")},
	} {
		if got := n.Get(c.in); got != c.want {
			t.Errorf("Get(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOpen(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("velodyne/000000.bin", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(0, []byte(`{"index":0,"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(1, []byte("{\"index\":1}\n")); err == nil {
		t.Error("a line with a newline was accepted")
	}
	d.Close()
	if err := d.Commit(2, []byte(`{"index":2}`)); err == nil {
		t.Error("commit after close accepted")
	}
	// Crash leftovers: temp files at two depths and a torn line.
	os.WriteFile(filepath.Join(root, "velodyne", TempPrefix+"7-000001.bin"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, TempPrefix+"8-timestamps.txt"), []byte("x"), 0o644)
	f, _ := os.OpenFile(filepath.Join(root, ManifestName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"index":1`)
	f.Close()

	if _, err := Open(root, Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Open non-empty: %v", err)
	}
	d, err = Open(root, Options{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Done(0) || d.Done(1) || len(d.Lines()) != 1 || string(d.Lines()[0]) != `{"index":0,"a":1}` {
		t.Errorf("resume state: done0 %v done1 %v lines %q", d.Done(0), d.Done(1), d.Lines())
	}
	d.Commit(1, []byte(`{"index":1}`))
	d.Close()
	m, _ := os.ReadFile(filepath.Join(root, ManifestName))
	if string(m) != "{\"index\":0,\"a\":1}\n{\"index\":1}\n" {
		t.Errorf("manifest %q", m)
	}
	for _, p := range []string{"velodyne/" + TempPrefix + "7-000001.bin", TempPrefix + "8-timestamps.txt"} {
		if _, err := os.Stat(filepath.Join(root, p)); !os.IsNotExist(err) {
			t.Errorf("leftover %s not removed (%v)", p, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "velodyne", "000000.bin")); string(b) != "abc" {
		t.Errorf("000000.bin = %q", b)
	}
	for _, bad := range []string{"../m.jsonl", "a/b", TempPrefix + "m", ".."} {
		if _, err := Open(t.TempDir(), Options{Manifest: bad}); err == nil {
			t.Errorf("manifest name %q accepted", bad)
		}
	}
	if _, err := Open("", Options{}); err == nil {
		t.Error("empty path accepted")
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"/cam/front", "..", "con", "a\x00b", "ü/ä"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Sanitize(s)
		if got == "" || len(got) > MaxNameLen+1 || got == "." || got == ".." || strings.HasPrefix(got, ".") {
			t.Fatalf("Sanitize(%q) = %q", s, got)
		}
		for _, r := range got {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("Sanitize(%q) = %q has %q", s, got, r)
			}
		}
		if Sanitize(got) != got && !strings.HasSuffix(got, "_") {
			t.Fatalf("Sanitize not idempotent on %q", got)
		}
	})
}

// FuzzResume feeds arbitrary manifest bytes to a resumed Open: it must not
// fail or panic, and must keep exactly the leading run of complete lines
// that carry an integer "index".
func FuzzResume(f *testing.F) {
	f.Add([]byte("{\"index\":0}\n{\"index\":1}\n{\"ind"))
	f.Add([]byte("{\"index\":0}\nnot json\n{\"index\":2}\n"))
	f.Add([]byte("{\"index\":-5,\"x\":[1,2]}\n"))
	f.Add([]byte("\n\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, ManifestName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := Open(root, Options{Resume: true})
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		kept, _ := os.ReadFile(filepath.Join(root, ManifestName))
		if !strings.HasPrefix(string(data), string(kept)) {
			t.Fatalf("kept %q is not a prefix of %q", kept, data)
		}
		if len(kept) > 0 && kept[len(kept)-1] != '\n' {
			t.Fatalf("kept %q does not end in a newline", kept)
		}
		if n := strings.Count(string(kept), "\n"); n != len(d.Lines()) {
			t.Fatalf("kept %d lines, Lines() has %d", n, len(d.Lines()))
		}
	})
}

// TestNamesDistinct: distinct inputs always get distinct outputs, within
// MaxNameLen, whatever they sanitise to and in whichever order they come;
// a colliding name's output does not depend on how many collided before.
func TestNamesDistinct(t *testing.T) {
	long := strings.Repeat("sensor_", 150)
	inputs := []string{"cam/front", "cam_front", "cam front", "CAM_FRONT", long, long + "x", long + "y", "", "/", "lidar"}
	for _, fn := range []struct {
		name string
		f    func(string) string
	}{{"Sanitize", Sanitize}, {"Element", Element}} {
		for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}} {
			n := NewNamesFunc(fn.f, "lidar")
			seen := map[string]string{}
			for _, i := range order {
				in := inputs[i]
				got := n.Get(in)
				if len(got) > MaxNameLen || got == "" {
					t.Errorf("%s: Get(%.20q...) = %q: %d bytes", fn.name, in, got, len(got))
				}
				if prev, ok := seen[strings.ToLower(got)]; ok {
					t.Errorf("%s: %q and %q both got %q", fn.name, prev, in, got)
				}
				seen[strings.ToLower(got)] = in
				if again := n.Get(in); again != got {
					t.Errorf("%s: Get(%q) = %q then %q", fn.name, in, got, again)
				}
			}
		}
	}
	// The tag of a collision depends on the input alone.
	a, b := NewNames(), NewNames()
	a.Get("cam_front")
	b.Get("cam_front")
	b.Get("cam front")
	if x, y := a.Get("cam/front"), b.Get("cam/front"); x != y {
		t.Errorf("cam/front after one collision %q, after two %q", x, y)
	}
}

func TestElement(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"CAM_FRONT", "CAM_FRONT"},
		{"CAM/FRONT", "CAM_FRONT"},
		{".hidden", "_hidden"},
		{"a.b", "a.b"},
		{"", "_"},
		{"ü", "__"},
		{strings.Repeat("A", 1000), strings.Repeat("A", 91) + Suffix(strings.Repeat("A", 1000))},
	} {
		if got := Element(c.in); got != c.want {
			t.Errorf("Element(%.30q) = %q, want %q", c.in, got, c.want)
		}
	}
}

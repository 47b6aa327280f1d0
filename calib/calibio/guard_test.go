package calibio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures/shareddata"
)

// floatToken finds the decimal numbers with a fraction in a line.
var floatToken = regexp.MustCompile(`-?[0-9]+\.[0-9]+(e[-+]?[0-9]+)?`)

// calibSources are the calibration files the bad-number table corrupts:
// the synthetic calibration of every format (written by Write) and the
// real files of ../shared/data/calib when present.
func calibSources(t *testing.T) map[string][]byte {
	src := map[string][]byte{}
	for f, c := range syntheticCalibrations(t) {
		var buf bytes.Buffer
		if err := Write(&buf, c, f); err != nil {
			t.Fatal(err)
		}
		name := "synthetic_" + string(f)
		if f.isKITTI() {
			name = "calib.txt"
			if f == KITTIRigid {
				name = "calib_velo_to_cam.txt"
			}
			name = string(f) + "_" + name
		}
		src[name] = buf.Bytes()
	}
	if root, ok := shareddata.Root(); ok {
		paths, _ := filepath.Glob(filepath.Join(root, "calib", "*"))
		for _, p := range paths {
			if strings.HasSuffix(p, ".md") || strings.HasSuffix(p, "calib_vectors.json") {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			src[filepath.Base(p)] = b
		}
	} else {
		t.Log("../shared/data absent: synthetic calibrations only")
	}
	return src
}

// TestReadersRejectBadNumbers (issue 17 item 7): every float of every
// calibration file, replaced by a non-finite number (NaN, ±Inf, 1e999) or
// a word, is an error naming the file, and for YAML and text the line and
// the field ("P2[2]"), never a calibration that carries NaN into --json.
// Before, KITTI dropped a line holding a word and accepted NaN in P2.
func TestReadersRejectBadNumbers(t *testing.T) {
	dir := t.TempDir()
	for name, b := range calibSources(t) {
		if _, err := ReadNamed(b, name); err != nil {
			t.Errorf("%s: the unmodified file does not read: %v", name, err)
			continue
		}
		isJSON := json.Valid(b)
		lines := strings.SplitAfter(string(b), "\n")
		mutated := 0
		for ln, line := range lines {
			if t := strings.TrimSpace(line); t == "" || t[0] == '#' || t[0] == '%' || mutated >= 8 {
				continue
			}
			loc := floatToken.FindStringIndex(line)
			if loc == nil {
				continue
			}
			mutated++
			bads := []string{".nan", ".inf", "-.Inf", "1e999", "abc"}
			if isJSON {
				bads = []string{"1e999", "NaN", "abc"}
			} else if strings.HasPrefix(name, "kitti") || strings.HasSuffix(name, ".txt") {
				bads = []string{"nan", "NaN", "inf", "-Inf", "1e999", "abc"}
			}
			for _, bad := range bads {
				m := append([]string(nil), lines...)
				m[ln] = line[:loc[0]] + bad + line[loc[1]:]
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, []byte(strings.Join(m, "")), 0o644); err != nil {
					t.Fatal(err)
				}
				c, err := ReadFile(path)
				if err == nil {
					js, jerr := json.Marshal(c)
					t.Errorf("%s line %d: %q → %q accepted (JSON: %v %.80s)", name, ln+1, line[loc[0]:loc[1]], bad, jerr, js)
					continue
				}
				msg := err.Error()
				if bad != "abc" && !isJSON && !strings.Contains(msg, fmt.Sprintf("line %d", ln+1)) {
					t.Errorf("%s line %d: %q: error does not name the line: %v", name, ln+1, bad, err)
				}
				if !strings.Contains(msg, name) {
					t.Errorf("%s line %d: %q: error does not name the file: %v", name, ln+1, bad, err)
				}
			}
		}
		if mutated == 0 && !strings.Contains(name, "nuscenes_sensor") {
			t.Errorf("%s: no number to corrupt", name)
		}
	}
}

// TestKITTIMalformedLine: a KITTI matrix with a word in it was dropped as
// if it were a string (calib_time); now it is an error naming line and
// field, and calib_time stays a string.
func TestKITTIMalformedLine(t *testing.T) {
	good := "calib_time: 09-Jan-2012 13:57:47\nP0: 7 0 6 0 0 7 1 0 0 0 1 0\nP1: 7 0 6 -3 0 7 1 0 0 0 1 0\nP2: 7 0 6 4 0 7 1 0 0 0 1 0\nP3: 7 0 6 -3 0 7 1 0 0 0 1 0\nTr: 1 0 0 0 0 1 0 0 0 0 1 0\n"
	if _, err := ReadNamed([]byte(good), "calib.txt"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{strings.Replace(good, "P2: 7 0 6 4", "P2: 7 0 x 4", 1), `calibio: kitti line 4: P2[2]: "x" is not a number`},
		{strings.Replace(good, "P2: 7 0 6 4", "P2: 7 0 NaN 4", 1), `calibio: kitti line 4: P2[2]: "NaN" is not a finite number`},
		{strings.Replace(good, "Tr: 1 0", "Tr: oops 0", 1), `calibio: kitti line 6: Tr[0]: "oops" is not a number`},
	} {
		_, err := ReadNamed([]byte(c.in), "calib.txt")
		if err == nil || err.Error() != c.want {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

// TestSizeCaps (issue 17 item 8): YAML or text calibration content over
// MaxYAMLSize is refused before it is parsed (an 8 MB YAML list cost 1.5
// s and 294 MB of RSS in "calib show", 27 s and 831 MB in the campaign),
// JSON over MaxFileSize too; the error names the file and its size.
func TestSizeCaps(t *testing.T) {
	var list bytes.Buffer
	list.WriteString("image_width: 640\nimage_height: 480\ncamera_name: cam\nlist:\n")
	for i := 0; list.Len() < 8<<20; i++ {
		fmt.Fprintf(&list, "  - %d\n", i)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(path, list.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), "big.yaml") || !strings.Contains(err.Error(), fmt.Sprint(list.Len())) {
		t.Errorf("8 MB YAML: err = %v, want the file and its size", err)
	}
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, bytes.Repeat([]byte(" "), MaxFileSize+10), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(huge)
	if err == nil || !strings.Contains(err.Error(), huge) || !strings.Contains(err.Error(), fmt.Sprint(MaxFileSize+10)) {
		t.Errorf("17 MB file: err = %v, want the path and its size", err)
	}
}

// BenchmarkReadLargeYAML measures what an 8 MB YAML list costs now (bytes
// allocated per op: see -benchmem).
func BenchmarkReadLargeYAML(b *testing.B) {
	var list bytes.Buffer
	list.WriteString("image_width: 640\nimage_height: 480\ncamera_name: cam\nlist:\n")
	for i := 0; list.Len() < 8<<20; i++ {
		fmt.Fprintf(&list, "  - %d\n", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNamed(list.Bytes(), "big.yaml"); err == nil {
			b.Fatal("8 MB YAML accepted")
		}
	}
}

func ExampleCheckYAMLNumbers() {
	err := CheckYAMLNumbers([]byte("camera_matrix:\n  data: [500, 0, .nan, 0, 500, 240, 0, 0, 1]\n"), "left.yaml")
	fmt.Println(err)
	// Output:
	// calibio: left.yaml: line 2: camera_matrix.data[2]: ".nan" is not a finite number
}

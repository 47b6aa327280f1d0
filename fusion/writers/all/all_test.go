package all

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const writersPath = "github.com/rigsync/rigsync/fusion/writers"

func TestFormats(t *testing.T) {
	reg := Formats()
	want := []string{"frames", "nuscenes", "mcap", "kitti", "cvat", "segments", "xtreme1"}
	if got := reg.Names(); !slices.Equal(got, want) {
		t.Errorf("formats %v, want %v (frames first: it is the default)", got, want)
	}
	for _, f := range reg.Formats() {
		if f.Resume == "" {
			t.Errorf("%s: no Resume: every format of fuse continues a killed run", f.Name)
		}
	}
}

// newPackage returns the import path of the package that defines a
// format's New (a closure in its Format, or a named func).
func newPackage(fn any) string {
	name := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	return name[:slash+1+dot]
}

// goList returns the import path → transitive dependencies of every
// package under fusion/writers, as "go list -deps" reports them. It also
// reads the packages' folders and stats their Go files, so that go test's
// cache sees them: an edit to a writer reruns this test.
func goList(t *testing.T) map[string][]string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command(gobin, "list", "-json=ImportPath,Deps,Dir,GoFiles", writersPath+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Dir string
			Deps, GoFiles   []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[p.ImportPath] = p.Deps
		os.ReadDir(p.Dir)
		for _, f := range p.GoFiles {
			os.Stat(filepath.Join(p.Dir, f))
		}
	}
	return deps
}

// No writer depends on another writer (directly or through anything
// else); every package under fusion/writers is a registered writer, a
// helper under internal/, the registry or this set.
func TestNoWriterImportsAnotherWriter(t *testing.T) {
	writerPkgs := map[string]string{} // import path → format name
	for _, f := range Formats().Formats() {
		writerPkgs[newPackage(f.New)] = f.Name
	}
	deps := goList(t)
	checkLayering(t, deps, writerPkgs)
}

// reporter is the part of *testing.T checkLayering uses.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// fakeT collects errors, to test checkLayering.
type fakeT struct{ errs []string }

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func checkLayering(t reporter, deps map[string][]string, writerPkgs map[string]string) {
	t.Helper()
	for w, name := range writerPkgs {
		if _, ok := deps[w]; !ok {
			t.Errorf("format %s is defined in %s, which is not under %s", name, w, writersPath)
		}
	}
	for pkg, ds := range deps {
		switch {
		case pkg == writersPath, pkg == writersPath+"/all", strings.HasPrefix(pkg, writersPath+"/internal/"):
		case writerPkgs[pkg] == "":
			t.Errorf("%s is neither a registered writer (add it to all.Formats) nor a helper under %s/internal", pkg, writersPath)
		}
		if pkg == writersPath+"/all" {
			continue
		}
		for _, d := range ds {
			if name, ok := writerPkgs[d]; ok {
				t.Errorf("%s imports the %s writer %s (move what they share into %s/internal)", pkg, name, d, writersPath)
			}
			if d == writersPath+"/all" {
				t.Errorf("%s imports %s/all", pkg, writersPath)
			}
		}
	}
}

// The check itself fails on what it must catch.
func TestCheckLayeringCatches(t *testing.T) {
	writerPkgs := map[string]string{writersPath + "/a": "a", writersPath + "/b": "b"}
	cases := []struct {
		name string
		deps map[string][]string
		want string
	}{
		{"clean", map[string][]string{writersPath + "/a": {writersPath + "/internal/x"}, writersPath + "/b": nil, writersPath + "/internal/x": nil}, ""},
		{"writer imports writer", map[string][]string{writersPath + "/a": {writersPath + "/b"}, writersPath + "/b": nil}, "imports the b writer"},
		{"helper imports writer", map[string][]string{writersPath + "/a": nil, writersPath + "/b": nil, writersPath + "/internal/x": {writersPath + "/a"}}, "imports the a writer"},
		{"helper outside internal", map[string][]string{writersPath + "/a": nil, writersPath + "/b": nil, writersPath + "/a/outdir": nil}, "neither a registered writer"},
		{"writer not under writers", map[string][]string{writersPath + "/a": nil}, "not under"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft := &fakeT{}
			checkLayering(ft, c.deps, writerPkgs)
			got := strings.Join(ft.errs, "\n")
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("errors %q, want …%s…", got, c.want)
			}
		})
	}
}

// TestProjectionsFlag: a format declares Projections exactly when its
// writer (or a writers/internal helper it depends on) reads
// fused.Camera.Projected, so fuse skips the projection work only for
// writers that do not write projections (a source check: it fails when a
// writer starts reading Projected without saying so, or keeps the flag
// after it stopped).
func TestProjectionsFlag(t *testing.T) {
	deps := goList(t)
	uses := projectedReaders(t)
	for _, f := range Formats().Formats() {
		pkg := newPackage(f.New)
		reads := uses[pkg]
		for _, d := range deps[pkg] {
			if strings.HasPrefix(d, writersPath+"/internal/") && uses[d] {
				reads = true
			}
		}
		if reads != f.Projections {
			t.Errorf("format %s: Projections = %v, but its writer %s reads Camera.Projected: %v", f.Name, f.Projections, pkg, reads)
		}
	}
}

// projectedReaders returns, for every package under fusion/writers,
// whether its non-test Go files select a field or method named Projected.
func projectedReaders(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Dir,GoFiles", writersPath+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	uses := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Dir string
			GoFiles         []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if s, ok := n.(*ast.SelectorExpr); ok && s.Sel.Name == "Projected" {
					uses[p.ImportPath] = true
				}
				return true
			})
		}
	}
	return uses
}

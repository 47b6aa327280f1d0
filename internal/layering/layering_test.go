package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/rigsync/rigsync/"

// rule forbids packages under From to depend (directly or not) on packages
// under any of To, except those under Allow. Paths are relative to the
// module; "x" covers x and x/...
type rule struct {
	From  string
	To    []string
	Why   string
	Allow []string
}

var rules = []rule{
	{"sync", []string{"formats/mcapread", "fusion", "cmd"}, "sync/ is a pure library: it groups and models clocks, it does not read logs or run the pipeline", nil},
	{"calib", []string{"formats/mcapread", "fusion", "cmd"}, "calib/ is a pure library: it scores what it is given, it does not read logs or run the pipeline", []string{"fusion/fused"}},
	{"formats", []string{"fusion", "cmd"}, "formats/ is the data model and its readers, below fusion", nil},
	{"fixtures", []string{"fusion", "cmd"}, "fixtures/ simulates rigs and writes logs, below fusion", nil},
	{"fusion/fused", []string{"fusion", "formats/mcapread", "sync", "cmd"}, "fusion/fused is the leaf frame model: what reads frames imports it without the pipeline", nil},
}

// knownViolations are the crossings that exist today, as "from -> to"
// (issue 13 removes them; delete a line when its crossing is gone).
var knownViolations []string

// under reports whether pkg is dir or inside it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// violations applies rules to a dependency list: deps maps each package
// to what it depends on (module-relative). A crossing into a layer is
// reported once per (package, layer root) pair, named by the root.
func violations(deps map[string][]string) []string {
	var out []string
	for pkg, ds := range deps {
		for _, r := range rules {
			if !under(pkg, r.From) {
				continue
			}
			for _, to := range r.To {
				if slices.ContainsFunc(ds, func(d string) bool {
					return under(d, to) && !slices.ContainsFunc(r.Allow, func(a string) bool { return under(d, a) })
				}) {
					out = append(out, pkg+" -> "+to)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestViolations(t *testing.T) {
	deps := map[string][]string{
		"sync/match":      {"formats"},
		"sync/syncrun":    {"formats", "formats/mcapread"},
		"calib/check/x":   {"fusion/writers/frames", "calib/se3"},
		"formats/inspect": {"formats/mcapread"},
		"formats/bad":     {"cmd/rigsync"},
		"fusion":          {"formats/mcapread"},
		"calib/check/y":   {"fusion/fused", "formats"},
		"calib/check/z":   {"fusion/fused", "fusion"},
		"fusion/fused":    {"formats", "fusion/ordered"},
	}
	got := violations(deps)
	want := []string{"calib/check/x -> fusion", "calib/check/z -> fusion", "formats/bad -> cmd", "fusion/fused -> fusion", "sync/syncrun -> formats/mcapread"}
	if !slices.Equal(got, want) {
		t.Errorf("violations = %q, want %q", got, want)
	}
}

// TestLayers reads the module's packages and their dependencies with
// `go list -deps` and checks the rules against them.
func TestLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command(gobin, "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], module) {
			continue
		}
		pkg := strings.TrimPrefix(f[0], module)
		for _, d := range f[1:] {
			if strings.HasPrefix(d, module) {
				deps[pkg] = append(deps[pkg], strings.TrimPrefix(d, module))
			}
		}
		if _, ok := deps[pkg]; !ok {
			deps[pkg] = nil
		}
	}
	if len(deps) < 20 {
		t.Fatalf("go list gave %d packages of the module; expected the whole module", len(deps))
	}
	got := violations(deps)
	for _, v := range got {
		if !slices.Contains(knownViolations, v) {
			r := rules[slices.IndexFunc(rules, func(r rule) bool { return under(strings.Fields(v)[0], r.From) })]
			t.Errorf("new layering violation %s: %s", v, r.Why)
		}
	}
	for _, v := range knownViolations {
		if !slices.Contains(got, v) {
			t.Errorf("%s no longer crosses a layer: delete it from knownViolations", v)
		}
	}
}

// fileIOAllowed are the packages of sync/ and calib/ that may import os:
// calibio reads calibration files (the one place calib/ opens a file).
var fileIOAllowed = []string{"calib/calibio"}

// fileIO returns the packages under sync/ and calib/ (module-relative)
// that import os directly, outside fileIOAllowed: imports maps each
// package to its direct imports.
func fileIO(imports map[string][]string) []string {
	var out []string
	for pkg, is := range imports {
		if !under(pkg, "sync") && !under(pkg, "calib") || slices.ContainsFunc(fileIOAllowed, func(a string) bool { return under(pkg, a) }) {
			continue
		}
		if slices.Contains(is, "os") {
			out = append(out, pkg)
		}
	}
	slices.Sort(out)
	return out
}

func TestFileIORule(t *testing.T) {
	got := fileIO(map[string][]string{
		"calib/calibio":         {"os", "fmt"},
		"calib/check/report":    {"os"},
		"sync/match":            {"fmt"},
		"sync/clock":            {"os"},
		"fusion":                {"os"},
		"internal/app/checkapp": {"os"},
	})
	if want := []string{"calib/check/report", "sync/clock"}; !slices.Equal(got, want) {
		t.Errorf("fileIO = %q, want %q", got, want)
	}
}

// TestNoFileIO: sync/ and calib/ are pure libraries; apart from calibio's
// readers none of their packages imports os (non-test files): files are
// opened and written by the app layer.
func TestNoFileIO(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command(gobin, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"sync/...", module+"calib/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			imports[strings.TrimPrefix(f[0], module)] = f[1:]
		}
	}
	if len(imports) < 5 {
		t.Fatalf("go list gave %d packages under sync/ and calib/", len(imports))
	}
	for _, pkg := range fileIO(imports) {
		t.Errorf("%s imports os: sync/ and calib/ do no file I/O outside %v (move it to the app layer)", pkg, fileIOAllowed)
	}
}

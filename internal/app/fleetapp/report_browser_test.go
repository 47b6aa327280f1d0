package fleetapp

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fusion/fleet"
)

// chromium finds a Chromium or Chrome binary, or skips the test (as the
// calib check report's browser test does).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no chromium, chromium-browser or google-chrome on PATH (CI installs Debian's chromium: apt-get install chromium)"
	if os.Getenv("RIGSYNC_REQUIRE_CHROMIUM") != "" {
		t.Fatal(why + ", and RIGSYNC_REQUIRE_CHROMIUM is set")
	}
	t.Skip(why)
	return ""
}

// probe is injected first into <head>: it records console errors and
// warnings and error events (failed loads do not bubble: capture), and
// after load writes to <body> how many <img> loaded and how many inline
// <svg> plots were laid out with a size and hold drawn bars.
const probe = `<script>
(function(){
  var errs = [];
  ['error','warn'].forEach(function(k){ var f = console[k]; console[k] = function(){ errs.push(k+': '+Array.prototype.join.call(arguments,' ')); return f.apply(console, arguments); }; });
  window.addEventListener('error', function(e){ errs.push('error event: '+(e.message || (e.target && e.target.tagName))); }, true);
  window.addEventListener('load', function(){
    var ok = 0, bad = [];
    for (var i = 0; i < document.images.length; i++) {
      var im = document.images[i];
      if (im.complete && im.naturalWidth > 0) { ok++; } else { bad.push(i); }
    }
    var svgs = document.getElementsByTagName('svg'), svgOK = 0, svgBad = [];
    for (var j = 0; j < svgs.length; j++) {
      var r = svgs[j].getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && svgs[j].getElementsByTagName('rect').length > 0) { svgOK++; } else { svgBad.push(j); }
    }
    var b = document.body;
    b.setAttribute('data-probe-images-ok', String(ok));
    b.setAttribute('data-probe-images-bad', bad.join(','));
    b.setAttribute('data-probe-svg-ok', String(svgOK));
    b.setAttribute('data-probe-svg-bad', svgBad.join(','));
    b.setAttribute('data-probe-errors', String(errs.length));
    b.setAttribute('data-probe-error-text', errs.join(' | '));
    b.setAttribute('data-probe-done', 'yes');
  });
})();
</script>`

type browserResult struct {
	ImagesOK, SVGOK, Errors int
	ImagesBad, SVGBad       string
	ErrorText               string
	Console                 []string
}

// render loads page (with the probe) from a file in headless Chromium.
func render(t *testing.T, bin string, page []byte) browserResult {
	t.Helper()
	dir := t.TempDir()
	i := bytes.Index(page, []byte("<head>"))
	if i < 0 {
		t.Fatal("page has no <head>")
	}
	i += len("<head>")
	withProbe := append(append(append([]byte{}, page[:i]...), probe...), page[i:]...)
	path := filepath.Join(dir, "page.html")
	if err := os.WriteFile(path, withProbe, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", "file://"+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	dom := stdout.String()
	attr := func(name string) string {
		m := regexp.MustCompile(`<body[^>]* ` + name + `="([^"]*)"`).FindStringSubmatch(dom)
		if m == nil {
			return ""
		}
		return m[1]
	}
	if attr("data-probe-done") != "yes" {
		t.Fatalf("the load event did not run the probe; stderr:\n%s", stderr.String())
	}
	var r browserResult
	r.ImagesOK, _ = strconv.Atoi(attr("data-probe-images-ok"))
	r.SVGOK, _ = strconv.Atoi(attr("data-probe-svg-ok"))
	r.Errors, _ = strconv.Atoi(attr("data-probe-errors"))
	r.ImagesBad, r.SVGBad, r.ErrorText = attr("data-probe-images-bad"), attr("data-probe-svg-bad"), attr("data-probe-error-text")
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			r.Console = append(r.Console, l)
		}
	}
	return r
}

// TestReportInBrowser: report.html loads offline in headless Chromium,
// every plot is drawn, no error is logged. The harness must be able to
// fail: a page with a broken image, an empty plot and a script error is
// caught.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	broken := []byte(`<!doctype html><html><head><title>broken</title></head><body>
<img src="missing.png"><svg width="10" height="10"></svg>
<script>console.error("deliberate"); undefinedFunction();</script></body></html>`)
	if b := render(t, bin, broken); b.ImagesBad != "0" || b.SVGBad != "0" || b.Errors < 2 {
		t.Fatalf("the harness misses faults of a broken page: %+v", b)
	}

	rs := []fleet.Result{
		{Summary: fleet.Summary{Path: "a <b>.mcap", SHA256: "aa11", DurationS: 30, Frames: 300, Light: "day", Reports: []string{"logs/aa11/info.json"},
			Gate:       fleet.Gate{Verdict: fleet.Fail, Reasons: []string{"dropout_s: cam_front dropout 1.5 s ≥ 1"}},
			Ego:        fleet.Ego{DistanceM: 250},
			Conditions: fleet.Conditions{Speed: map[string]int64{"5-15": 25000, "stopped": 5000}, Turn: map[string]int64{"straight": 30000}, Light: map[string]int64{"day": 30000}},
			Sensors:    []fleet.Sensor{{Name: "cam_front", Modality: "camera", PresentMs: 28500, DropoutMs: 1500}}},
			Scenes: []fleet.Scene{{Kind: fleet.KindDropout, Sensor: "cam_front"}}},
		{Summary: fleet.Summary{Path: "b.mcap", SHA256: "bb22", DurationS: 60, Gate: fleet.Gate{Verdict: fleet.Pass},
			Conditions: fleet.Conditions{Light: map[string]int64{"night": 60000}}}},
	}
	var cov fleet.Coverage
	for _, r := range rs {
		cov.Add(r)
	}
	page := renderReport(sortedResults(rs), cov)
	for _, bad := range []string{"<script", "http://", "https://", "src="} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("report.html holds %q: not self-contained", bad)
		}
	}
	if !bytes.Contains(page, []byte("a &lt;b&gt;.mcap")) || !bytes.Contains(page, []byte(`href="logs/aa11/info.json"`)) {
		t.Error("report.html: log name not escaped or the failed log's report not linked")
	}
	r := render(t, bin, page)
	want := bytes.Count(page, []byte("<svg "))
	if r.SVGOK != want || r.SVGBad != "" || want < 6 {
		t.Errorf("%d of %d plots drawn; not drawn: [%s]", r.SVGOK, want, r.SVGBad)
	}
	if r.ImagesBad != "" || r.Errors != 0 || len(r.Console) != 0 {
		t.Errorf("errors in the browser: images not loaded [%s], %d errors (%s); console:\n%s", r.ImagesBad, r.Errors, r.ErrorText, strings.Join(r.Console, "\n"))
	}
}

package report

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

	"github.com/rigsync/rigsync/calib/check"
)

// chromium finds a Chromium or Chrome binary, or skips the test.
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

// probe is injected first into <head> of the page under test (the report
// itself has no script): it records console.error/console.warn calls and
// error events (script errors and failed resource loads, which do not
// bubble, hence the capture phase), and after the load event writes to
// <body> how many images loaded (complete with a natural width) and which
// did not.
const probe = `<script>
(function(){
  var errs = [];
  ['error','warn'].forEach(function(k){ var f = console[k]; console[k] = function(){ errs.push(k+': '+Array.prototype.join.call(arguments,' ')); return f.apply(console, arguments); }; });
  window.addEventListener('error', function(e){ errs.push('error event: '+(e.message || (e.target && (e.target.tagName+' '+String(e.target.src||e.target.href).slice(0,40))))); }, true);
  window.addEventListener('load', function(){
    var ok = 0, bad = [];
    for (var i = 0; i < document.images.length; i++) {
      var im = document.images[i];
      if (im.complete && im.naturalWidth > 0) { ok++; } else { bad.push(i); }
    }
    document.body.setAttribute('data-probe-images-ok', String(ok));
    document.body.setAttribute('data-probe-images-bad', bad.join(','));
    document.body.setAttribute('data-probe-errors', String(errs.length));
    document.body.setAttribute('data-probe-error-text', errs.join(' | '));
    var banner = document.getElementById('verdict');
    document.body.setAttribute('data-probe-banner-bg', banner ? getComputedStyle(banner).backgroundColor : '');
    document.body.setAttribute('data-probe-done', 'yes');
  });
})();
</script>`

// browserResult is what headless Chromium saw of a page.
type browserResult struct {
	ImagesOK  int
	ImagesBad string
	Errors    int
	ErrorText string
	// BannerBG is the computed background colour of the verdict banner.
	BannerBG string
	// Console are Chromium's CONSOLE log lines (any level) and uncaught
	// exceptions from stderr.
	Console []string
}

// render loads page (with the probe injected) in headless Chromium and
// reads back the probe's findings from the dumped DOM.
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
		t.Fatalf("%s: %v\n%s", bin, err, tail(stderr.String(), 2000))
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
		t.Fatalf("the page's load event did not run the probe; DOM:\n%s\nstderr:\n%s", tail(dom, 1000), tail(stderr.String(), 2000))
	}
	var r browserResult
	r.ImagesOK, _ = strconv.Atoi(attr("data-probe-images-ok"))
	r.ImagesBad = attr("data-probe-images-bad")
	r.Errors, _ = strconv.Atoi(attr("data-probe-errors"))
	r.ErrorText = attr("data-probe-error-text")
	r.BannerBG = attr("data-probe-banner-bg")
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			r.Console = append(r.Console, l)
		}
	}
	return r
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// The report renders in a real browser: every image loads, nothing is
// logged to the console, no error event fires.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)

	// The harness itself must be able to fail: a page with a broken
	// image, a missing file, a console error and a script error.
	broken := []byte(`<!DOCTYPE html><html><head><title>broken</title></head><body>
<img src="data:image/png;base64,AAAA"><img src="missing.png"><img src="` + string(pngURL(mustPNG(t))) + `">
<script>console.error("deliberate"); undefinedFunction();</script></body></html>`)
	b := render(t, bin, broken)
	if b.ImagesOK != 1 || b.ImagesBad != "0,1" || b.Errors < 2 || len(b.Console) < 2 {
		t.Fatalf("the harness misses faults of a broken page: %+v", b)
	}

	var buf bytes.Buffer
	if err := WriteHTML(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	r := render(t, bin, buf.Bytes())
	want := len(imgRe.FindAllIndex(buf.Bytes(), -1))
	if r.ImagesOK != want || r.ImagesBad != "" {
		t.Errorf("%d of %d images loaded; not loaded: [%s]", r.ImagesOK, want, r.ImagesBad)
	}
	if r.Errors != 0 || len(r.Console) != 0 {
		t.Errorf("errors in the browser: %d (%s); console:\n%s", r.Errors, r.ErrorText, strings.Join(r.Console, "\n"))
	}
	if r.BannerBG != "rgb(198, 40, 40)" {
		t.Errorf("miscalibrated banner background %q, want the red rgb(198, 40, 40)", r.BannerBG)
	}

	// A report with every pair skipped: the banner, as the browser paints
	// it, is not ok's green.
	buf.Reset()
	rep := &check.Report{Log: "drive.mcap", Clock: "log", Verdict: check.OK, Pairs: []check.PairResult{
		{Kind: check.KindLidarCamera, Sensor: "cam_front", Reference: "lidar_top", Verdict: check.Skipped, Note: "no ego motion"},
		{Kind: check.KindHandEye, Sensor: "lidar_top", Reference: "base_link", Verdict: check.Skipped, Note: "no motion"},
	}}
	if err := WriteHTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	r = render(t, bin, buf.Bytes())
	if r.BannerBG == "" || r.BannerBG == "rgb(26, 127, 55)" {
		t.Errorf("nothing-checked banner background %q, want a colour that is not ok's green", r.BannerBG)
	}
	t.Logf("nothing-checked banner background %s", r.BannerBG)
}

func mustPNG(t *testing.T) []byte {
	var buf bytes.Buffer
	rep := sampleReport()
	if err := TimePlot(&buf, &rep.Pairs[1], rep.Start); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

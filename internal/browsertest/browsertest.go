// Package browsertest loads a self-contained HTML page in headless
// Chromium (Debian's chromium package) and reports what the browser saw:
// images that loaded or not, console errors and warnings, error events, the
// verdict banner's colour. It is the harness of calib/check/report's
// browser test, shared by the other reports (labels check, fleet). Tests skip
// when no Chromium is on PATH unless RIGSYNC_REQUIRE_CHROMIUM is set.
package browsertest

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
)

// Chromium finds a Chromium or Chrome binary, or skips the test.
func Chromium(t testing.TB) string {
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

// Probe is injected first into <head> of the page under test (the report
// itself has no script): it records console.error/console.warn calls and
// error events (script errors and failed resource loads, which do not
// bubble, hence the capture phase), and after the load event writes to
// <body> how many images loaded (complete with a natural width) and which
// did not, and how many inline <svg> plots were laid out with a size and
// hold drawn bars (<rect>) and which did not.
const Probe = `<script>
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
    var svgs = document.getElementsByTagName('svg'), svgOK = 0, svgBad = [];
    for (var j = 0; j < svgs.length; j++) {
      var r = svgs[j].getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && svgs[j].getElementsByTagName('rect').length > 0) { svgOK++; } else { svgBad.push(j); }
    }
    document.body.setAttribute('data-probe-svg-ok', String(svgOK));
    document.body.setAttribute('data-probe-svg-bad', svgBad.join(','));
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

// Result is what headless Chromium saw of a page.
type Result struct {
	ImagesOK  int
	ImagesBad string
	// SVGOK counts the inline <svg> plots laid out with a size and holding
	// a <rect>; SVGBad lists the indexes of the others.
	SVGOK     int
	SVGBad    string
	Errors    int
	ErrorText string
	// BannerBG is the computed background colour of the verdict banner.
	BannerBG string
	// Console are Chromium's CONSOLE log lines (any level) and uncaught
	// exceptions from stderr.
	Console []string
}

// Render loads page (with the probe injected) in headless Chromium and
// reads back the probe's findings from the dumped DOM.
func Render(t testing.TB, bin string, page []byte) Result {
	t.Helper()
	dir := t.TempDir()
	i := bytes.Index(page, []byte("<head>"))
	if i < 0 {
		t.Fatal("page has no <head>")
	}
	i += len("<head>")
	withProbe := append(append(append([]byte{}, page[:i]...), Probe...), page[i:]...)
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
	var r Result
	r.ImagesOK, _ = strconv.Atoi(attr("data-probe-images-ok"))
	r.ImagesBad = attr("data-probe-images-bad")
	r.SVGOK, _ = strconv.Atoi(attr("data-probe-svg-ok"))
	r.SVGBad = attr("data-probe-svg-bad")
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

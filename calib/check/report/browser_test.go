package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/internal/browsertest"
)

// The report renders in a real browser: every image loads, nothing is
// logged to the console, no error event fires.
func TestReportInBrowser(t *testing.T) {
	bin := browsertest.Chromium(t)

	// The harness itself must be able to fail: a page with a broken
	// image, a missing file, a console error and a script error.
	broken := []byte(`<!DOCTYPE html><html><head><title>broken</title></head><body>
<img src="data:image/png;base64,AAAA"><img src="missing.png"><img src="` + string(pngURL(mustPNG(t))) + `">
<script>console.error("deliberate"); undefinedFunction();</script></body></html>`)
	b := browsertest.Render(t, bin, broken)
	if b.ImagesOK != 1 || b.ImagesBad != "0,1" || b.Errors < 2 || len(b.Console) < 2 {
		t.Fatalf("the harness misses faults of a broken page: %+v", b)
	}

	var buf bytes.Buffer
	if err := WriteHTML(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	r := browsertest.Render(t, bin, buf.Bytes())
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
	r = browsertest.Render(t, bin, buf.Bytes())
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

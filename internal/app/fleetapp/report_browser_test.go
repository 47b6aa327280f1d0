package fleetapp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/browsertest"
)

// TestReportInBrowser: report.html loads offline in headless Chromium,
// every plot is drawn, no error is logged. The harness must be able to
// fail: a page with a broken image, an empty plot and a script error is
// caught.
func TestReportInBrowser(t *testing.T) {
	bin := browsertest.Chromium(t)
	broken := []byte(`<!doctype html><html><head><title>broken</title></head><body>
<img src="missing.png"><svg width="10" height="10"></svg>
<script>console.error("deliberate"); undefinedFunction();</script></body></html>`)
	if b := browsertest.Render(t, bin, broken); b.ImagesBad != "0" || b.SVGBad != "0" || b.Errors < 2 {
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
	r := browsertest.Render(t, bin, page)
	want := bytes.Count(page, []byte("<svg "))
	if r.SVGOK != want || r.SVGBad != "" || want < 6 {
		t.Errorf("%d of %d plots drawn; not drawn: [%s]", r.SVGOK, want, r.SVGBad)
	}
	if r.ImagesBad != "" || r.Errors != 0 || len(r.Console) != 0 {
		t.Errorf("errors in the browser: images not loaded [%s], %d errors (%s); console:\n%s", r.ImagesBad, r.Errors, r.ErrorText, strings.Join(r.Console, "\n"))
	}
}

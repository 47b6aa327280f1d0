package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"io"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/check"
)

// testImage is a w×h gradient with a grid of dots, like an overlay.
func testImage(w, h int, shift int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / w), G: uint8(y * 255 / h), B: 90, A: 255})
		}
	}
	for y := 8; y < h; y += 16 {
		for x := 8 + shift; x < w; x += 16 {
			img.Set(x, y, color.RGBA{R: 255, G: 255, A: 255})
		}
	}
	return img
}

// yawCorrection is the row-major 4×4 rotation by yaw degrees about z.
func yawCorrection(deg float64) [16]float64 {
	s, c := math.Sincos(deg * math.Pi / 180)
	return [16]float64{c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
}

var identity = [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}

// sampleReport is a hand-built report with every kind of content: a
// miscalibrated camera that changed mid-log (windows, search, overlays), a
// time-offset check, an ok LiDAR pair, a skipped radar and an overlay of
// no pair.
func sampleReport() *check.Report {
	const s = int64(1_700_000_000_000_000_000)
	changed := s + 10_200_000_000
	var win []check.Window
	for i := range 10 {
		v, sc := check.OK, 1.0
		if i >= 5 {
			v, sc = check.Miscalibrated, 0.8
		}
		win = append(win, check.Window{Start: s + int64(i)*2e9, End: s + int64(i+1)*2e9, Frames: 20, Score: sc, Verdict: v})
	}
	var search []check.SearchPoint
	for _, r := range []float64{-1, -0.5, 0, 0.5, 1} {
		for _, y := range []float64{-1, -0.5, 0, 0.5, 1} {
			search = append(search, check.SearchPoint{RotationDeg: [3]float64{r, 0, y}, Score: 1 - 0.1*math.Abs(y+0.5) - 0.05*math.Abs(r)})
		}
	}
	var tsearch []check.SearchPoint
	for k := -5; k <= 5; k++ {
		tsearch = append(tsearch, check.SearchPoint{TimeNs: int64(k) * 10e6, Score: 1 - 0.01*math.Abs(float64(k))})
	}
	return &check.Report{
		Log: "drive.mcap", Rig: "rig.yaml", Clock: "log", Start: s, End: s + 20e9, Verdict: check.Miscalibrated,
		Pairs: []check.PairResult{
			{Kind: check.KindCameraTime, Sensor: "cam_front", Reference: "lidar_top", Score: 0.99, ScoreName: "edge_alignment",
				BestScore: 1, Verdict: check.OK, Correction: identity, TimeOffsetNs: 0, Uncertainty: check.Uncertainty{TimeNs: 2e6},
				Search: tsearch},
			{Kind: check.KindLidarCamera, Sensor: "cam_front", Reference: "lidar_top", Score: 0.8, ScoreName: "edge_alignment",
				BestScore: 1, Verdict: check.Miscalibrated, Correction: yawCorrection(-0.5), CorrectionRotationDeg: 0.5,
				Uncertainty: check.Uncertainty{RotationDeg: 0.03, TranslationM: 0.01}, Windows: win,
				ChangedAt: &changed, ChangeUncertaintyNs: 1e9, Search: search, Note: "knocked <mid-log> & \"rotated\""},
			{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Score: 0.012, ScoreName: "icp_rmse_m",
				BestScore: 0.011, Verdict: check.OK, Correction: identity, Windows: win[:3]},
			{Kind: check.KindRadarLidar, Sensor: "radar_front", Reference: "lidar_top", Verdict: check.Skipped, Correction: identity,
				Note: "no radar detections"},
		},
		Overlays: []check.Overlay{
			{Sensor: "cam_front", Reference: "lidar_top", Stamp: s + 15e9, Before: testImage(96, 64, 0), After: testImage(96, 64, 3)},
			{Sensor: "cam_front", Reference: "lidar_top", Stamp: s + 3e9, Before: testImage(96, 64, 0)},
			{Sensor: "cam_left", Reference: "lidar_top", Stamp: s + 5e9, Before: testImage(64, 48, 1)},
		},
	}
}

var (
	imgRe  = regexp.MustCompile(`<img [^>]*src="([^"]*)"`)
	dataRe = regexp.MustCompile(`^data:(image/(?:png|jpeg));base64,([A-Za-z0-9+/=]+)$`)
)

func TestWriteHTML(t *testing.T) {
	rep := sampleReport()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	page := buf.String()

	// Self-contained: no URL other than data: and in-page anchors.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if u := m[1]; !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "#") {
			t.Errorf("external reference %q", u)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("page has a script")
	}
	// Every image: a decodable data: URI. 3 before + 1 after overlays,
	// 2 time plots, 2 search plots.
	imgs := imgRe.FindAllStringSubmatch(page, -1)
	if len(imgs) != 8 {
		t.Errorf("%d images, want 8", len(imgs))
	}
	for _, m := range imgs {
		d := dataRe.FindStringSubmatch(html.UnescapeString(m[1]))
		if d == nil {
			t.Errorf("image src %.60q… is not a base64 data: URI", m[1])
			continue
		}
		b, err := base64.StdEncoding.DecodeString(d[2])
		if err != nil {
			t.Errorf("image: %v", err)
			continue
		}
		img, format, err := image.Decode(bytes.NewReader(b))
		if err != nil || "image/"+format != d[1] {
			t.Errorf("image %s: format %q, %v", d[1], format, err)
			continue
		}
		if r := img.Bounds(); r.Dx() < 48 || r.Dy() < 48 {
			t.Errorf("image %v too small", r)
		}
	}

	// Verdicts first: the table precedes the first pair section, the
	// miscalibrated pair is its first row, the skipped one its last.
	table := strings.Index(page, `id="verdicts"`)
	section := strings.Index(page, "<section")
	if table < 0 || section < 0 || table > section {
		t.Fatalf("verdict table at %d, first section at %d", table, section)
	}
	tbody := page[table : strings.Index(page[table:], "</table>")+table]
	badges := regexp.MustCompile(`badge v-(\w+)">`).FindAllStringSubmatch(tbody, -1)
	var got []string
	for _, b := range badges {
		got = append(got, b[1])
	}
	if want := []string{"miscalibrated", "ok", "ok", "skipped"}; !reflect.DeepEqual(got, want) {
		t.Errorf("verdict order %v, want %v", got, want)
	}
	for _, want := range []string{"0.500° / 0.000 m", "yaw -0.500°", "at 10.20 s ± 1.00 s", "±0.030° ±0.010 m",
		"Δt +0.00 ms", "±2.00 ms", "cam_front (lidar-camera vs lidar_top): miscalibrated"} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Text is escaped.
	if strings.Contains(page, "<mid-log>") || !strings.Contains(page, "knocked &lt;mid-log&gt; &amp; &#34;rotated&#34;") {
		t.Error("note not HTML-escaped")
	}

	// The embedded JSON (download link and <pre>) is the report.
	m := regexp.MustCompile(`href="data:application/json;base64,([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no JSON download link")
	}
	js, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	var back check.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	want := *rep
	want.Overlays = nil
	if !reflect.DeepEqual(back, want) {
		t.Errorf("embedded JSON differs from the report:\n%s", js)
	}
}

func TestWriteHTMLEmptyAndBad(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, &check.Report{Log: "x.mcap", Clock: "log"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "No sensor pair could be checked") {
		t.Error("empty report: no explanation")
	}
	if err := WriteHTML(&buf, nil); err == nil {
		t.Error("nil report written")
	}
	rep := &check.Report{Pairs: []check.PairResult{{Kind: check.KindLidarLidar, Score: math.NaN()}}}
	if err := WriteHTML(&buf, rep); err == nil || !strings.Contains(err.Error(), "JSON") {
		t.Errorf("NaN score: %v, want a JSON error", err)
	}
	rep = &check.Report{Overlays: []check.Overlay{{Sensor: "cam", Before: image.NewRGBA(image.Rectangle{})}}}
	if err := WriteHTML(&buf, rep); err == nil || !strings.Contains(err.Error(), "cam") {
		t.Errorf("empty overlay image: %v, want an error naming the camera", err)
	}
}

func TestOverlays(t *testing.T) {
	rep := sampleReport()
	files, err := Overlays(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cam_front_lidar_top_t015.000s_before.jpg", "cam_front_lidar_top_t015.000s_after.jpg",
		"cam_front_lidar_top_t003.000s_before.jpg", "cam_left_lidar_top_t005.000s_before.jpg",
		"search_camera-time_cam_front_lidar_top.png",
		"time_lidar-camera_cam_front_lidar_top.png", "search_lidar-camera_cam_front_lidar_top.png",
		"time_lidar-lidar_lidar_rear_lidar_top.png",
	}
	var got []string
	decoded := map[string]image.Image{}
	for _, f := range files {
		got = append(got, f.Name)
		img, _, err := image.Decode(bytes.NewReader(f.Data))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		decoded[f.Name] = img
		if strings.HasSuffix(f.Name, ".jpg") {
			if r := img.Bounds(); r.Dx() != 96 && r.Dx() != 64 {
				t.Errorf("%s: %v", f.Name, r)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pictures %q\nwant %q", got, want)
	}
	// An overlay: the after image is the After picture (dots shifted by 3).
	img := decoded[want[1]]
	if img == nil {
		t.Fatal("no after overlay")
	}
	if r, g, _, _ := img.At(11, 8).RGBA(); r < 0xd000 || g < 0xd000 {
		t.Errorf("after overlay pixel (11,8) is not a dot: %v", img.At(11, 8))
	}
}

// countColor counts pixels within 40 per channel of c.
func countColor(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if absDiff(r>>8, c.R) < 40 && absDiff(g>>8, c.G) < 40 && absDiff(bb>>8, c.B) < 40 {
				n++
			}
		}
	}
	return n
}

func absDiff(a uint32, b uint8) uint32 {
	if a > uint32(b) {
		return a - uint32(b)
	}
	return uint32(b) - a
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestTimePlot(t *testing.T) {
	rep := sampleReport()
	p := rep.Pairs[1] // the knocked camera
	for i := range p.Windows {
		p.Windows[i].Verdict = check.OK // only the change line is red
	}
	var with, without bytes.Buffer
	if err := TimePlot(&with, &p, rep.Start); err != nil {
		t.Fatal(err)
	}
	p.ChangedAt = nil
	if err := TimePlot(&without, &p, rep.Start); err != nil {
		t.Fatal(err)
	}
	red := verdictColor[check.Miscalibrated]
	a, b := countColor(decodePNG(t, with.Bytes()), red), countColor(decodePNG(t, without.Bytes()), red)
	if a < 50 || b != 0 {
		t.Errorf("red pixels with a change %d (want ≥ 50), without %d (want 0)", a, b)
	}
	if r := decodePNG(t, with.Bytes()).Bounds(); r.Dx() < 400 || r.Dy() < 250 {
		t.Errorf("time plot %v", r)
	}
	if err := TimePlot(&with, &check.PairResult{Kind: "x"}, 0); err == nil {
		t.Error("no windows plotted")
	}
	nan := check.PairResult{Windows: []check.Window{{Score: math.NaN()}}}
	if err := TimePlot(&with, &nan, 0); err == nil {
		t.Error("NaN-only windows plotted")
	}
}

func TestSearchPlot(t *testing.T) {
	rep := sampleReport()
	for _, tc := range []struct {
		p    check.PairResult
		axes []string
	}{
		{rep.Pairs[0], []string{"time shift (ms)"}},
		{rep.Pairs[1], []string{"roll (deg)", "yaw (deg)"}},
	} {
		var names []string
		for _, a := range searchAxes(&tc.p) {
			names = append(names, a.name)
		}
		if !reflect.DeepEqual(names, tc.axes) {
			t.Errorf("%s: axes %v, want %v", tc.p.Kind, names, tc.axes)
		}
		var buf bytes.Buffer
		if err := SearchPlot(&buf, &tc.p); err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, buf.Bytes())
		if r := img.Bounds(); r.Dx() < 250*len(tc.axes) {
			t.Errorf("%s: %v for %d panels", tc.p.Kind, r, len(tc.axes))
		}
	}
	// The red line is at the suggested correction: yaw −0.5° (roll 0),
	// and at the time offset for a time check.
	p := rep.Pairs[1]
	for _, a := range searchAxes(&p) {
		want := map[string]float64{"roll (deg)": 0, "yaw (deg)": -0.5}[a.name]
		if math.Abs(a.now-want) > 1e-9 {
			t.Errorf("%s: correction at %g, want %g", a.name, a.now, want)
		}
	}
	p = rep.Pairs[0]
	p.TimeOffsetNs = 20e6
	if a := searchAxes(&p); a[0].now != 20 {
		t.Errorf("time axis: correction at %g ms, want 20", a[0].now)
	}
	if err := SearchPlot(&bytes.Buffer{}, &check.PairResult{}); err == nil {
		t.Error("no search plotted")
	}
}

func TestRPYText(t *testing.T) {
	for _, tc := range []struct {
		m    [16]float64
		want string
	}{
		{identity, "roll +0.000°, pitch +0.000°, yaw +0.000°; x +0.0000 m, y +0.0000 m, z +0.0000 m"},
		{yawCorrection(0.5), "roll +0.000°, pitch +0.000°, yaw +0.500°"},
		// Rx(90°): y→z.
		{[16]float64{1, 0, 0, 0.01, 0, 0, -1, -0.02, 0, 1, 0, 0.05, 0, 0, 0, 1}, "roll +90.000°, pitch +0.000°, yaw +0.000°; x +0.0100 m, y -0.0200 m, z +0.0500 m"},
		// Ry(30°).
		{[16]float64{math.Sqrt(3) / 2, 0, 0.5, 0, 0, 1, 0, 0, -0.5, 0, math.Sqrt(3) / 2, 0, 0, 0, 0, 1}, "roll +0.000°, pitch +30.000°, yaw +0.000°"},
	} {
		if got := rpyText(tc.m); !strings.HasPrefix(got, tc.want) {
			t.Errorf("rpyText(%v) = %q, want prefix %q", tc.m, got, tc.want)
		}
	}
}

func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{"cam_front": "cam_front", "/a/b c": "a_b_c", "": "_", "../x": ".._x", "é": "__"} {
		if got := fileSafe(in); got != want {
			t.Errorf("fileSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// Extreme numbers neither hang nor panic the plots: a span that
// overflows is refused, a far-off correction line is left out.
func TestPlotExtremes(t *testing.T) {
	huge := check.PairResult{
		Windows: []check.Window{{Start: 0, End: 1e9, Score: -1e308}, {Start: 1e9, End: 2e9, Score: 1e308}},
		Search:  []check.SearchPoint{{RotationDeg: [3]float64{-1e308}, Score: -1e308}, {RotationDeg: [3]float64{1e308}, Score: 1e308}},
	}
	if err := TimePlot(io.Discard, &huge, 0); err == nil {
		t.Error("overflowing window scores plotted")
	}
	if err := SearchPlot(io.Discard, &huge); err == nil {
		t.Error("overflowing search plotted")
	}
	far := check.PairResult{
		Correction: [16]float64{1, 0, 0, 1e300, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
		Search:     []check.SearchPoint{{TranslationM: [3]float64{-0.1}, Score: 1}, {TranslationM: [3]float64{0.1}, Score: 2}, {TranslationM: [3]float64{math.NaN()}, Score: 3}},
	}
	var buf bytes.Buffer
	if err := SearchPlot(&buf, &far); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, buf.Bytes())
}

// skippedPair is a pair that could not be scored, with its reason.
func skippedPair(kind, sensor, note string) check.PairResult {
	return check.PairResult{Kind: kind, Sensor: sensor, Reference: "lidar_top", Verdict: check.Skipped, Correction: identity, Note: note}
}

// bannerRe finds the banner's verdict class, headline and summary.
var bannerRe = regexp.MustCompile(`<div class="banner v-([a-z]+)" id="verdict"><strong>([^<]*)</strong>: ([^<]*)</div>`)

// A report whose pairs were all skipped (the minimal rig without ego
// motion) says that nothing could be checked, in a banner that is not the
// green of ok, with every reason; with some pairs checked, only those
// count as consistent and the skipped ones are listed apart. The Verdict
// field is the one Run set before the fix ("ok" for all skipped): the page
// goes by the pairs.
func TestWriteHTMLNothingChecked(t *testing.T) {
	noEgo := "no ego motion source (odometry or /tf)"
	ok := check.PairResult{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Score: 0.01,
		ScoreName: "icp_rmse_m", Verdict: check.OK, Correction: identity}
	for _, tc := range []struct {
		name             string
		pairs            []check.PairResult
		class, headline  string
		summary, notWant []string
		skippedListed    int
	}{
		{name: "all skipped",
			pairs: []check.PairResult{skippedPair(check.KindCameraTime, "cam_front", noEgo),
				skippedPair(check.KindHandEye, "lidar_top", "0 usable motions"), skippedPair(check.KindLidarCamera, "cam_front", noEgo)},
			class: "unchecked", headline: "nothing could be checked",
			summary: []string{"No sensor pair could be checked", "all 3 pairs were skipped"},
			notWant: []string{"consistent", "All 3"}, skippedListed: 3},
		{name: "one checked, two skipped",
			pairs: []check.PairResult{ok, skippedPair(check.KindHandEye, "lidar_top", "0 usable motions"),
				skippedPair(check.KindLidarCamera, "cam_front", noEgo)},
			class: "ok", headline: "ok",
			summary: []string{"All 1 checked pair(s) are consistent", "2 pair(s) skipped, not checked"},
			notWant: []string{"All 3"}, skippedListed: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &check.Report{Log: "drive.mcap", Clock: "log", Verdict: check.OK, Pairs: tc.pairs}
			var buf bytes.Buffer
			if err := WriteHTML(&buf, rep); err != nil {
				t.Fatal(err)
			}
			page := html.UnescapeString(buf.String())
			m := bannerRe.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no banner in the page")
			}
			t.Logf("banner: class v-%s, %q: %q", m[1], m[2], m[3])
			if m[1] != tc.class || m[2] != tc.headline {
				t.Errorf("banner class v-%s headline %q, want v-%s %q", m[1], m[2], tc.class, tc.headline)
			}
			for _, w := range tc.summary {
				if !strings.Contains(m[3], w) {
					t.Errorf("banner %q lacks %q", m[3], w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(m[3], w) {
					t.Errorf("banner %q claims %q", m[3], w)
				}
			}
			// The banner's colour is the class's, and it is not ok's green
			// unless the checked pairs are ok.
			css := regexp.MustCompile(`\.v-` + m[1] + `\{background:(#[0-9a-f]{6})\}`).FindStringSubmatch(page)
			if css == nil {
				t.Fatalf("no colour for .v-%s in the style sheet", m[1])
			}
			if green := "#1a7f37"; (css[1] == green) != (tc.class == "ok") {
				t.Errorf("banner colour %s for %s", css[1], tc.class)
			}
			// Every skipped pair is listed with its reason.
			i := strings.Index(page, `<div id="skipped">`)
			if i < 0 {
				t.Fatal("no list of the skipped pairs")
			}
			list := page[i:]
			list = list[:strings.Index(list, "</ul>")]
			for _, p := range tc.pairs {
				item := p.Sensor + " (" + p.Kind + " vs lidar_top): " + p.Note
				if strings.Contains(list, item) != (p.Verdict == check.Skipped) {
					t.Errorf("skipped list %q: %q listed %v", list, item, !(p.Verdict == check.Skipped))
				}
			}
			if n := strings.Count(list, "<li>"); n != tc.skippedListed {
				t.Errorf("%d skipped pairs listed, want %d", n, tc.skippedListed)
			}
		})
	}
}

// TestDOFTable: a pair with DOFs gets its per-DOF table beside the
// overlays, and a partial pair says which DOFs were not observed.
func TestDOFTable(t *testing.T) {
	est, sig := 0.12, 0.03
	p := check.PairResult{Kind: check.KindLidarCamera, Sensor: "cam_front", Reference: "lidar_top", ScoreName: "edge_alignment",
		Verdict: check.OK, Correction: identity, DOFFrame: "camera optical frame",
		DOFs: []check.DOF{{Name: "yaw", Unit: "deg", Estimate: &est, Sigma: &sig, Status: check.Observed, Matters: true},
			{Name: "z", Unit: "m", Status: check.NotSearched, Matters: true, Note: "not estimated"}}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, &check.Report{Log: "drive.mcap", Clock: "log", Verdict: check.OK, Pairs: []check.PairResult{p}}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{`<table class="dofs">`, "camera optical frame", "0.12 deg", "not searched", "no (matters)",
		"partial: z not observed", "ok (partial)"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/calib/check"
)

// WriteHTML writes rep as one self-contained HTML page for people: the
// overall verdict and a table of every pair's verdict first (worst first),
// then per pair its details, the overlays before and after the suggested
// correction, the score over time and over the perturbation search; the
// JSON report is embedded for download. Every image is embedded as a
// data: URI; the page loads nothing from the network and runs no script.
func WriteHTML(w io.Writer, rep *check.Report) error {
	if rep == nil {
		return fmt.Errorf("report: nil report")
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("report: JSON of the report: %w", err)
	}
	// The overall verdict follows from the pairs, so a page never calls a
	// report with nothing checked ok, whatever its Verdict field says.
	overall := check.Overall(rep.Pairs)
	d := page{
		Log: rep.Log, Rig: rep.Rig, Clock: rep.Clock, Verdict: string(overall), Headline: string(overall),
		Span:    fmt.Sprintf("%.2f s", float64(rep.End-rep.Start)/1e9),
		JSON:    string(js),
		JSONURL: template.URL("data:application/json;base64," + base64.StdEncoding.EncodeToString(js)),
	}
	if overall == check.Unchecked {
		d.Headline = "nothing could be checked"
	}
	order := make([]int, len(rep.Pairs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return severity(rep.Pairs[a].Verdict) - severity(rep.Pairs[b].Verdict)
	})
	used := make([]bool, len(rep.Overlays))
	ovOf := make([][]overlay, len(rep.Pairs))
	// Overlays belong to their camera's LiDAR–camera pair, else to any pair
	// of the same two sensors, else to the "other overlays" section.
	for pass := 0; pass < 2; pass++ {
		for i := range rep.Pairs {
			p := &rep.Pairs[i]
			if pass == 0 && p.Kind != check.KindLidarCamera {
				continue
			}
			for j := range rep.Overlays {
				o := &rep.Overlays[j]
				if used[j] || o.Sensor != p.Sensor || o.Reference != p.Reference {
					continue
				}
				ov, err := newOverlay(o, rep.Start)
				if err != nil {
					return err
				}
				ovOf[i] = append(ovOf[i], ov)
				used[j] = true
			}
		}
	}
	for j := range rep.Overlays {
		if !used[j] {
			ov, err := newOverlay(&rep.Overlays[j], rep.Start)
			if err != nil {
				return err
			}
			d.Other = append(d.Other, ov)
		}
	}
	var bad, skipped, partial []string
	for n, i := range order {
		p := &rep.Pairs[i]
		r := row{
			ID: fmt.Sprintf("pair-%d", n+1), Kind: p.Kind, Sensor: p.Sensor, Reference: p.Reference,
			Verdict: string(p.Verdict), ScoreName: scoreName(p),
			Score: num(p.Score), Best: num(p.BestScore), Note: p.Note, Overlays: ovOf[i],
			Correction: correctionText(p), Uncertainty: uncertaintyText(p), Change: changeText(p, rep.Start),
			Windows: len(p.Windows), SearchN: len(p.Search), DOFFrame: p.DOFFrame,
		}
		if p.Verdict != check.Skipped {
			if nob := check.NotObservedDOFs(p.DOFs); len(nob) > 0 {
				r.Partial = "partial: " + strings.Join(nob, ", ") + " not observed"
				partial = append(partial, fmt.Sprintf("%s (%s vs %s): %s not observed", p.Sensor, p.Kind, p.Reference, strings.Join(nob, ", ")))
			}
			for _, dd := range p.DOFs {
				r.DOFs = append(r.DOFs, dofRow{Name: dd.Name, Unit: dd.Unit, Estimate: optNum(dd.Estimate), Sigma: optNum(dd.Sigma),
					Status: string(dd.Status), Observed: dd.Status == check.Observed, Matters: dd.Matters, Note: dd.Note})
			}
		}
		if r.Verdict == "" {
			r.Verdict = string(check.Skipped)
		}
		if r.Verdict == string(check.Skipped) {
			// Nothing was scored: no numbers to show.
			r.Score, r.Best, r.Correction, r.Uncertainty = "–", "–", "–", "–"
		}
		if p.Kind != check.KindCameraTime && p.Verdict != check.Skipped {
			r.Matrix = matrixRows(p.Correction)
			r.RPY = rpyText(p.Correction)
		}
		if len(p.Windows) > 0 {
			var buf bytes.Buffer
			if err := TimePlot(&buf, p, rep.Start); err == nil {
				r.TimePlot = pngURL(buf.Bytes())
			}
		}
		if len(p.Search) > 0 {
			var buf bytes.Buffer
			if err := SearchPlot(&buf, p); err == nil {
				r.SearchPlot = pngURL(buf.Bytes())
			}
		}
		if p.Verdict == check.Miscalibrated || p.Verdict == check.Suspicious {
			bad = append(bad, fmt.Sprintf("%s (%s vs %s): %s", p.Sensor, p.Kind, p.Reference, p.Verdict))
		}
		if r.Verdict == string(check.Skipped) {
			skipped = append(skipped, fmt.Sprintf("%s (%s vs %s): %s", p.Sensor, p.Kind, p.Reference, orDefault(p.Note, "no reason given")))
		}
		d.Rows = append(d.Rows, r)
	}
	checked, _ := check.CountChecked(rep.Pairs)
	switch {
	case len(rep.Pairs) == 0:
		d.Summary = "No sensor pair could be checked: the log has no pair of sensors to compare."
	case overall == check.Unchecked:
		d.Summary = fmt.Sprintf("No sensor pair could be checked: all %d pairs were skipped, so the calibration is not verified.", len(rep.Pairs))
	case len(bad) == 0:
		d.Summary = fmt.Sprintf("All %d checked pair(s) are consistent with the calibration.", checked)
	default:
		d.Summary = strings.Join(bad, "; ")
	}
	if len(partial) > 0 {
		d.Summary += fmt.Sprintf(" Partial: %s, so those degrees of freedom are not verified.", strings.Join(partial, "; "))
		if overall == check.OK {
			d.Headline = "ok (partial)"
		}
	}
	if len(skipped) > 0 && overall != check.Unchecked {
		d.Summary += fmt.Sprintf(" %d pair(s) skipped, not checked.", len(skipped))
	}
	d.Skipped = skipped
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

type page struct {
	Log, Rig, Clock, Span, Verdict, Summary string
	// Headline is the overall verdict in words for the banner.
	Headline string
	// Skipped lists the skipped pairs with their reasons.
	Skipped []string
	Rows    []row
	Other   []overlay
	JSON    string
	JSONURL template.URL
}

type row struct {
	ID, Kind, Sensor, Reference, Verdict       string
	ScoreName, Score, Best                     string
	Correction, Uncertainty, Change, Note, RPY string
	Matrix                                     []string
	Windows, SearchN                           int
	TimePlot, SearchPlot                       template.URL
	Overlays                                   []overlay
	// Partial is "partial: x, y not observed" for a scored pair with a
	// DOF that matters not observed; DOFs the per-DOF table, in DOFFrame.
	Partial  string
	DOFFrame string
	DOFs     []dofRow
}

// dofRow is one line of a pair's per-DOF table.
type dofRow struct {
	Name, Unit, Estimate, Sigma, Status, Note string
	Observed, Matters                         bool
}

// optNum formats an optional number ("–" when nil).
func optNum(v *float64) string {
	if v == nil {
		return "–"
	}
	return num(*v)
}

type overlay struct {
	Sensor, Reference, Time string
	Before, After           template.URL
	W, H                    int
}

func newOverlay(o *check.Overlay, start int64) (overlay, error) {
	ov := overlay{Sensor: o.Sensor, Reference: o.Reference, Time: fmt.Sprintf("%.2f s", float64(o.Stamp-start)/1e9)}
	if o.Before != nil {
		b, err := encodeJPEG(o.Before)
		if err != nil {
			return ov, fmt.Errorf("report: overlay %s before: %w", o.Sensor, err)
		}
		ov.Before = jpegURL(b)
		ov.W, ov.H = o.Before.Bounds().Dx(), o.Before.Bounds().Dy()
	}
	if o.After != nil {
		b, err := encodeJPEG(o.After)
		if err != nil {
			return ov, fmt.Errorf("report: overlay %s after: %w", o.Sensor, err)
		}
		ov.After = jpegURL(b)
		if ov.W == 0 {
			ov.W, ov.H = o.After.Bounds().Dx(), o.After.Bounds().Dy()
		}
	}
	return ov, nil
}

func pngURL(b []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
}

func jpegURL(b []byte) template.URL {
	return template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(b))
}

// severity orders verdicts worst first.
func severity(v check.Verdict) int {
	switch v {
	case check.Miscalibrated:
		return 0
	case check.Suspicious:
		return 1
	case check.OK:
		return 2
	}
	return 3
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func num(x float64) string {
	if !finite(x) {
		return "–"
	}
	return fmt.Sprintf("%.4g", x)
}

func correctionText(p *check.PairResult) string {
	if p.Kind == check.KindCameraTime {
		return fmt.Sprintf("Δt %+.2f ms", float64(p.TimeOffsetNs)/1e6)
	}
	s := fmt.Sprintf("%.3f° / %.3f m", p.CorrectionRotationDeg, p.CorrectionTranslationM)
	if p.TimeOffsetNs != 0 {
		s += fmt.Sprintf(", Δt %+.2f ms", float64(p.TimeOffsetNs)/1e6)
	}
	return s
}

func uncertaintyText(p *check.PairResult) string {
	u := p.Uncertainty
	var parts []string
	if p.Kind != check.KindCameraTime || u.RotationDeg != 0 || u.TranslationM != 0 {
		parts = append(parts, fmt.Sprintf("±%.3f° ±%.3f m", u.RotationDeg, u.TranslationM))
	}
	if u.TimeNs != 0 || p.Kind == check.KindCameraTime {
		parts = append(parts, fmt.Sprintf("±%.2f ms", float64(u.TimeNs)/1e6))
	}
	return strings.Join(parts, ", ")
}

func changeText(p *check.PairResult, start int64) string {
	if p.ChangedAt == nil {
		return "–"
	}
	return fmt.Sprintf("at %.2f s ± %.2f s", float64(*p.ChangedAt-start)/1e9, float64(p.ChangeUncertaintyNs)/1e9)
}

func matrixRows(m [16]float64) []string {
	out := make([]string, 4)
	for r := range out {
		out[r] = fmt.Sprintf("% .6f % .6f % .6f % .6f", m[4*r], m[4*r+1], m[4*r+2], m[4*r+3])
	}
	return out
}

// rpyText gives the correction's rotation as roll, pitch, yaw (URDF:
// R = Rz(yaw)·Ry(pitch)·Rx(roll)) and its translation, in the checked
// sensor's frame.
func rpyText(m [16]float64) string {
	rpy, t := correctionRPY(m)
	// Values that print as zero print as +0, not -0.
	z := func(x, unit float64) float64 {
		if math.Abs(x) < unit/2 {
			return 0
		}
		return x
	}
	return fmt.Sprintf("roll %+.3f°, pitch %+.3f°, yaw %+.3f°; x %+.4f m, y %+.4f m, z %+.4f m",
		z(rpy[0], 1e-3), z(rpy[1], 1e-3), z(rpy[2], 1e-3), z(t[0], 1e-4), z(t[1], 1e-4), z(t[2], 1e-4))
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rigsync calib check: {{.Verdict}} — {{.Log}}</title>
<link rel="icon" href="data:,">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em}
h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
h3{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1em .6em;border-radius:.8em;color:#fff;font-weight:600}
.v-ok{background:#1a7f37}.v-suspicious{background:#c27c0e}.v-miscalibrated{background:#c62828}.v-skipped{background:#757575}.v-unchecked{background:#5f5f5f}
.v-inconclusive{background:#8a8a8a}
.banner{padding:.8em 1em;border-radius:.4em;color:#fff;font-size:1.1em;margin:1em 0}
.meta{color:#555;font-size:.92em}
pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.85em}
figure{margin:.6em 0;display:inline-block;vertical-align:top;max-width:100%}
figure img{max-width:100%;height:auto;border:1px solid #ccc}
figcaption{font-size:.85em;color:#555}
.pair{border-left:6px solid #ccc;padding-left:1em}
.partial{color:#8a5a00}
table.dofs{display:inline-table;margin:.6em 1em .6em 0;vertical-align:top}
table.dofs caption{font-size:.85em;color:#555;text-align:left;caption-side:top}
tr.dof-not-observed td{background:#fff6e0}
.pair.b-ok{border-color:#1a7f37}.pair.b-suspicious{border-color:#c27c0e}.pair.b-miscalibrated{border-color:#c62828}.pair.b-skipped{border-color:#757575}
</style>
</head>
<body>
<h1>Calibration check</h1>
<div class="meta">Log <code>{{.Log}}</code> · calibration from {{if .Rig}}<code>{{.Rig}}</code>{{else}}the log's /tf_static and camera infos{{end}} · clock <code>{{.Clock}}</code> · {{.Span}} checked</div>
<div class="banner v-{{.Verdict}}" id="verdict"><strong>{{.Headline}}</strong>: {{.Summary}}</div>
{{if .Skipped}}<div id="skipped"><p>Skipped (not checked):</p><ul>
{{range .Skipped}}<li>{{.}}</li>
{{end}}</ul></div>{{end}}

<h2>Verdicts</h2>
<table id="verdicts">
<thead><tr><th>pair</th><th>verdict</th><th>score</th><th>with correction</th><th>correction</th><th>uncertainty (1σ)</th><th>changed</th><th>note</th></tr></thead>
<tbody>
{{range .Rows}}<tr>
<td><a href="#{{.ID}}">{{.Sensor}} → {{.Reference}}</a><br><small>{{.Kind}}</small></td>
<td><span class="badge v-{{.Verdict}}">{{.Verdict}}</span>{{if .Partial}}<br><small class="partial">{{.Partial}}</small>{{end}}</td>
<td class="num">{{.Score}}<br><small>{{.ScoreName}}</small></td>
<td class="num">{{.Best}}</td>
<td class="num">{{.Correction}}</td>
<td class="num">{{.Uncertainty}}</td>
<td>{{.Change}}</td>
<td>{{.Note}}</td>
</tr>
{{else}}<tr><td colspan="8">no pairs</td></tr>
{{end}}</tbody>
</table>
<p class="meta">Correction convention: T_base_sensor(fixed) = T_base_sensor(current) · Correction, the
correction in the checked sensor's own frame (camera frames are optical: x right, y down, z forward).
Times are seconds since the start of the log on the <code>{{.Clock}}</code> clock.
<a href="{{.JSONURL}}" download="calib-check.json">Download the JSON report</a>.</p>

{{range .Rows}}
<section class="pair b-{{.Verdict}}" id="{{.ID}}">
<h2>{{.Sensor}} → {{.Reference}} <small>({{.Kind}})</small> <span class="badge v-{{.Verdict}}">{{.Verdict}}</span>{{if .Partial}} <small class="partial">({{.Partial}})</small>{{end}}</h2>
{{if .Note}}<p>{{.Note}}</p>{{end}}
<table>
<tr><th>score ({{.ScoreName}})</th><td class="num">{{.Score}}</td><th>with the correction</th><td class="num">{{.Best}}</td></tr>
<tr><th>correction</th><td class="num">{{.Correction}}</td><th>uncertainty (1σ)</th><td class="num">{{.Uncertainty}}</td></tr>
<tr><th>changed</th><td>{{.Change}}</td><th>windows · search points</th><td class="num">{{.Windows}} · {{.SearchN}}</td></tr>
{{if .RPY}}<tr><th>correction as roll-pitch-yaw</th><td colspan="3">{{.RPY}}</td></tr>{{end}}
</table>
{{if .Matrix}}<p class="meta">Correction (row-major 4×4, T_sensor_sensorfixed):</p>
<pre>{{range .Matrix}}{{.}}
{{end}}</pre>{{end}}
{{if .DOFs}}<table class="dofs">
<caption>Per degree of freedom ({{.DOFFrame}})</caption>
<thead><tr><th>DOF</th><th>estimate</th><th>1σ</th><th>status</th><th>observed?</th><th>note</th></tr></thead>
<tbody>
{{range .DOFs}}<tr class="dof-{{if .Observed}}observed{{else}}not-observed{{end}}"><td>{{.Name}}</td><td class="num">{{.Estimate}} {{.Unit}}</td><td class="num">{{.Sigma}} {{.Unit}}</td><td>{{.Status}}</td><td>{{if .Observed}}yes{{else if .Matters}}no (matters){{else}}no{{end}}</td><td><small>{{.Note}}</small></td></tr>
{{end}}</tbody></table>{{end}}
{{range .Overlays}}<div>
{{if .Before}}<figure><img src="{{.Before}}" width="{{.W}}" height="{{.H}}" alt="{{.Sensor}} with {{.Reference}} points, current calibration, {{.Time}}"><figcaption>before: current calibration, {{.Time}}</figcaption></figure>{{end}}
{{if .After}}<figure><img src="{{.After}}" width="{{.W}}" height="{{.H}}" alt="{{.Sensor}} with {{.Reference}} points, corrected, {{.Time}}"><figcaption>after: suggested correction applied, {{.Time}}</figcaption></figure>{{end}}
</div>{{end}}
{{if .TimePlot}}<figure><img src="{{.TimePlot}}" alt="score of {{.Sensor}} over time"><figcaption>score per time window{{if ne .Change "–"}}; the dashed line marks the change, {{.Change}}{{end}}</figcaption></figure>{{end}}
{{if .SearchPlot}}<figure><img src="{{.SearchPlot}}" alt="score of {{.Sensor}} over the perturbation search"><figcaption>score over the perturbation search (grey: current calibration, red: the suggested correction)</figcaption></figure>{{end}}
</section>
{{end}}

{{if .Other}}<h2>Other overlays</h2>
{{range .Other}}<div>
{{if .Before}}<figure><img src="{{.Before}}" width="{{.W}}" height="{{.H}}" alt="{{.Sensor}} with {{.Reference}} points, {{.Time}}"><figcaption>{{.Sensor}} / {{.Reference}}, current calibration, {{.Time}}</figcaption></figure>{{end}}
{{if .After}}<figure><img src="{{.After}}" width="{{.W}}" height="{{.H}}" alt="{{.Sensor}} with {{.Reference}} points, corrected, {{.Time}}"><figcaption>suggested correction applied</figcaption></figure>{{end}}
</div>{{end}}{{end}}

<h2>JSON report</h2>
<p><a href="{{.JSONURL}}" download="calib-check.json">Download calib-check.json</a></p>
<details><summary>show</summary><pre id="json">{{.JSON}}</pre></details>
</body>
</html>
`))

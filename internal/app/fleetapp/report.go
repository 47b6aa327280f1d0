package fleetapp

import (
	"bytes"
	"fmt"
	"html"
	"path"
	"sort"

	"github.com/rigsync/rigsync/fusion/fleet"
)

// reportCSS is the report's only style: no external resource is loaded.
const reportCSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#cf222e;font-weight:600}
.totals span{display:inline-block;margin-right:24px;font-size:16px}.plots{display:flex;flex-wrap:wrap;gap:24px}
svg text{font:12px system-ui,sans-serif}`

// bar is one bar of a chart.
type bar struct {
	label string
	value float64
	text  string
	color string
}

// barChart is an inline SVG horizontal bar chart.
func barChart(title string, bars []bar, maxV float64) string {
	const w, lw, bh = 420, 150, 22
	h := 30 + bh*len(bars)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<figure><svg width="%d" height="%d" role="img" aria-label="%s">`, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="0" y="16" font-weight="600">%s</text>`, html.EscapeString(title))
	if maxV <= 0 {
		maxV = 1
	}
	for i, br := range bars {
		y := 26 + i*bh
		bw := (w - lw - 80) * br.value / maxV
		c := br.color
		if c == "" {
			c = "#4a7bd0"
		}
		fmt.Fprintf(&b, `<text x="0" y="%d">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/><text x="%.1f" y="%d">%s</text>`,
			y+15, html.EscapeString(br.label), lw, y+3, bw, bh-6, c, float64(lw)+bw+4, y+15, html.EscapeString(br.text))
	}
	b.WriteString(`</svg></figure>`)
	return b.String()
}

// bandChart charts a map of ms per band in the given band order (other
// bands after, sorted).
func bandChart(title string, ms map[string]int64, order []string) string {
	var keys []string
	seen := map[string]bool{}
	for _, k := range order {
		if _, ok := ms[k]; ok {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range ms {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	var bars []bar
	var maxV float64
	for _, k := range keys {
		h := float64(ms[k]) / 3.6e6
		bars = append(bars, bar{label: k, value: h, text: hoursText(ms[k])})
		maxV = max(maxV, h)
	}
	if len(bars) == 0 {
		bars = []bar{{label: "no data", text: "—"}}
	}
	return barChart(title, bars, maxV)
}

func hoursText(ms int64) string {
	switch {
	case ms >= 3_600_000:
		return fmt.Sprintf("%.2f h", float64(ms)/3.6e6)
	case ms >= 60_000:
		return fmt.Sprintf("%.1f min", float64(ms)/6e4)
	}
	return fmt.Sprintf("%.1f s", float64(ms)/1e3)
}

// renderReport is report.html: self-contained (inline CSS and SVG, no
// script, no external resource).
func renderReport(rs []fleet.Result, cov fleet.Coverage) []byte {
	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>rigsync fleet report</title><style>%s</style></head><body>\n", reportCSS)
	fmt.Fprintf(&b, "<h1>rigsync fleet: %d logs</h1>\n<p class=totals><span>%s recorded</span><span>%.2f km driven</span><span class=pass>%d pass</span><span class=warn>%d warn</span><span class=fail>%d fail</span></p>\n",
		cov.Logs, hoursText(cov.DurationMs), cov.DistanceKm, cov.Passed, cov.Warned, cov.Failed)
	b.WriteString("<h2>Gate</h2><div class=plots>")
	b.WriteString(barChart("logs by gate verdict", []bar{
		{label: "pass", value: float64(cov.Passed), text: fmt.Sprint(cov.Passed), color: "#1a7f37"},
		{label: "warn", value: float64(cov.Warned), text: fmt.Sprint(cov.Warned), color: "#bf8700"},
		{label: "fail", value: float64(cov.Failed), text: fmt.Sprint(cov.Failed), color: "#cf222e"},
	}, float64(max(cov.Passed, cov.Warned, cov.Failed))))
	var reasons []bar
	var maxR float64
	for _, k := range sortedKeys(cov.Reasons) {
		reasons = append(reasons, bar{label: k, value: float64(cov.Reasons[k]), text: fmt.Sprint(cov.Reasons[k]), color: "#cf222e"})
		maxR = max(maxR, float64(cov.Reasons[k]))
	}
	if len(reasons) > 0 {
		b.WriteString(barChart("gate reasons (warned and failed logs)", reasons, maxR))
	}
	b.WriteString("</div>\n<h2>Coverage</h2><div class=plots>")
	b.WriteString(bandChart("hours by speed band (m/s)", cov.Conditions.Speed, []string{"stopped", "0.5-5", "5-15", "15+"}))
	b.WriteString(bandChart("hours by turning", cov.Conditions.Turn, []string{"straight", "turn", "sharp turn"}))
	b.WriteString(bandChart("hours by light", cov.Conditions.Light, []string{"day", "dusk", "night"}))
	var scenes []bar
	var maxS float64
	for _, k := range sortedKeys(cov.Scenes) {
		scenes = append(scenes, bar{label: k, value: float64(cov.Scenes[k]), text: fmt.Sprint(cov.Scenes[k])})
		maxS = max(maxS, float64(cov.Scenes[k]))
	}
	if len(scenes) > 0 {
		b.WriteString(barChart("scenes by kind", scenes, maxS))
	}
	b.WriteString("</div>\n<h2>Sensor availability</h2><div class=plots>")
	var avail []bar
	names := make([]string, 0, len(cov.Sensors))
	for n := range cov.Sensors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sc := cov.Sensors[n]
		tot := sc.PresentMs + sc.DropoutMs
		pct := 0.0
		if tot > 0 {
			pct = 100 * float64(sc.PresentMs-min(sc.PresentMs, sc.DegradedMs)) / float64(tot)
		}
		color := "#1a7f37"
		if pct < 99 {
			color = "#bf8700"
		}
		if pct < 90 {
			color = "#cf222e"
		}
		avail = append(avail, bar{label: n, value: pct, text: fmt.Sprintf("%.1f%%", pct), color: color})
	}
	if len(avail) == 0 {
		avail = []bar{{label: "no fused sensor", text: "—"}}
	}
	b.WriteString(barChart("usable time (present, not degraded) per sensor", avail, 100))
	b.WriteString("</div>\n<table><tr><th>sensor<th>logs<th>present<th>dropout<th>degraded</tr>\n")
	for _, n := range names {
		sc := cov.Sensors[n]
		fmt.Fprintf(&b, "<tr><td>%s<td>%d<td>%s<td>%s<td>%s</tr>\n", esc(n), sc.Logs, hoursText(sc.PresentMs), hoursText(sc.DropoutMs), hoursText(sc.DegradedMs))
	}
	b.WriteString("</table>\n<h2>Worst logs</h2><table><tr><th>log<th>verdict<th>reasons</tr>\n")
	for _, w := range cov.Worst {
		fmt.Fprintf(&b, "<tr><td>%s<td class=%s>%s<td>%s</tr>\n", esc(w.Path), esc(w.Verdict), esc(w.Verdict), esc(joinReasons(w.Reasons)))
	}
	b.WriteString("</table>\n<h2>Failed gates</h2>\n")
	nFail := 0
	for _, r := range rs {
		s := r.Summary
		if s.Gate.Verdict != fleet.Fail {
			continue
		}
		nFail++
		fmt.Fprintf(&b, "<h3 class=fail>%s</h3><p>sha256 %s", esc(s.Path), esc(s.SHA256))
		for _, rep := range s.Reports {
			fmt.Fprintf(&b, " · <a href=\"%s\">%s</a>", esc(rep), esc(rep))
		}
		b.WriteString("</p><ul>")
		for _, reason := range s.Gate.Reasons {
			fmt.Fprintf(&b, "<li>%s</li>", esc(reason))
		}
		b.WriteString("</ul>\n")
	}
	if nFail == 0 {
		b.WriteString("<p class=pass>No log failed the gate.</p>\n")
	}
	b.WriteString("<h2>All logs</h2><table><tr><th>log<th>verdict<th>duration<th>distance<th>light<th>scenes<th>reports</tr>\n")
	for _, r := range rs {
		s := r.Summary
		var links bytes.Buffer
		for _, rep := range s.Reports {
			fmt.Fprintf(&links, "<a href=\"%s\">%s</a> ", esc(rep), esc(path.Base(rep)))
		}
		fmt.Fprintf(&b, "<tr><td>%s<td class=%s>%s<td>%.1f s<td>%.0f m<td>%s<td>%d<td>%s</tr>\n", esc(s.Path), esc(s.Gate.Verdict), esc(s.Gate.Verdict),
			s.DurationS, s.Ego.DistanceM, esc(s.Light), len(r.Scenes), links.String())
	}
	b.WriteString("</table>\n<p>Made by rigsync fleet scan. Times are seconds since each log's first message; speeds in m/s.</p>\n</body></html>\n")
	return b.Bytes()
}

func joinReasons(rs []string) string {
	var b bytes.Buffer
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r)
	}
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

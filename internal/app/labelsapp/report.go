package labelsapp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/rigsync/rigsync/fusion/labelcheck"
	"github.com/rigsync/rigsync/internal/atomicfile"
	"github.com/rigsync/rigsync/internal/outguard"
)

// ReportFiles are the files WriteReport writes into its folder.
var ReportFiles = []string{"index.html", "report.json"}

// WriteReport writes the report folder dir: index.html (WriteHTML, one
// self-contained file: no script, no external resource) and report.json
// (the --json document). Each file is written whole or not at all; dir
// must not be, hold or lie in an input (the log or the labels).
func WriteReport(dir string, r *Result, inputs []string) error {
	if err := outguard.Check(dir, inputs); err != nil {
		return UsageError{fmt.Errorf("labels check: --report: %w", err)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("labels check: --report: %w", err)
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, r); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("labels check: --report: %w", err)
	}
	for name, data := range map[string][]byte{"index.html": page.Bytes(), "report.json": append(js, '\n')} {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("labels check: --report: %w", err)
		}
	}
	return nil
}

// cropView is one crop drawn as SVG.
type cropView struct {
	Title, Verdict, Reasons string
	Points                  template.HTML // SVG path data
	Box, Fixed              string        // SVG polygon points
	Sensor                  string        // SVG line to the sensor
	Size                    int
}

// WriteHTML writes the labels check report as one self-contained HTML
// page: the verdict banner, the counts per kind and class, the tracks that
// are not ok, a top view of the worst boxes (points around the box moved to
// its time, the box as labelled in red and as corrected in green, the
// direction to the LiDAR) and the findings table.
func WriteHTML(w io.Writer, r *Result) error {
	data := struct {
		R      *Result
		Colour string
		Crops  []cropView
		Cams   []camView
		Shown  []labelcheck.BoxResult
		More   int
	}{R: r, Colour: map[labelcheck.Verdict]string{labelcheck.OK: "#2e7d32", labelcheck.Suspicious: "#ef6c00", labelcheck.Wrong: "#c62828"}[r.Verdict]}
	const maxRows = 300
	data.Shown = r.Findings
	if len(data.Shown) > maxRows {
		data.Shown, data.More = data.Shown[:maxRows], len(r.Findings)-maxRows
	}
	for _, c := range r.Crops {
		data.Crops = append(data.Crops, drawCrop(c))
	}
	for _, c := range r.CameraCrops {
		v, err := drawCameraCrop(c)
		if err != nil {
			return fmt.Errorf("labels check: report: %w", err)
		}
		data.Cams = append(data.Cams, v)
	}
	return reportTmpl.Execute(w, data)
}

// drawCrop maps a crop into a 320 px square, x (forward) to the right and
// y (left) up.
func drawCrop(c labelcheck.Crop) cropView {
	const size = 320
	f := c.Finding
	cx, cy := f.Center[0], f.Center[1]
	half := math.Hypot(f.Size[0], f.Size[1])/2 + 2
	sc := size / (2 * half)
	px := func(x, y float64) (float64, float64) { return (x-cx)*sc + size/2, size/2 - (y-cy)*sc }
	var path strings.Builder
	for i := range c.X {
		x, y := px(float64(c.X[i]), float64(c.Y[i]))
		fmt.Fprintf(&path, "M%.1f %.1fh1.6v1.6h-1.6z", x-0.8, y-0.8)
	}
	poly := func(q [4][2]float64) string {
		var s []string
		for _, p := range q {
			x, y := px(p[0], p[1])
			s = append(s, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		return strings.Join(s, " ")
	}
	ox, oy := px(c.Origin[0], c.Origin[1])
	// The sensor direction from the box centre, clipped to the view.
	dx, dy := ox-size/2, oy-size/2
	if n := math.Hypot(dx, dy); n > 0 {
		dx, dy = dx/n*size/2.2, dy/n*size/2.2
	}
	id := f.ID
	if id == "" {
		id = "(no box)"
	}
	return cropView{
		Title:   fmt.Sprintf("frame %d, box %s %s, %d points, %.0f m", f.Frame, id, f.Class, f.Points, f.Range),
		Verdict: string(f.Verdict), Reasons: strings.Join(f.Reasons, "; "),
		Points: template.HTML(path.String()), Box: poly(c.Box), Fixed: poly(c.Corrected),
		Sensor: fmt.Sprintf("M%.1f %.1fL%.1f %.1f", float64(size)/2, float64(size)/2, size/2+dx, size/2+dy), Size: size,
	}
}

// camView is one camera crop drawn as SVG over its image.
type camView struct {
	Title, Verdict, Reasons string
	Image                   template.URL // data: URL of the region's PNG
	W, H                    int          // drawn size (px)
	Box, Fixed              [4]float64   // x, y, width, height in drawn px
}

// drawCameraCrop encodes the crop's luma as a PNG data URL and scales it
// (and its rectangles) to 320 px wide at most, 2× for small crops.
func drawCameraCrop(c labelcheck.CameraCrop) (camView, error) {
	img := image.NewGray(image.Rect(0, 0, c.W, c.H))
	copy(img.Pix, c.Gray)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return camView{}, err
	}
	k := math.Min(2, 320/float64(max(c.W, 1)))
	rect := func(r [4]float64) [4]float64 {
		return [4]float64{(r[0] + 0.5) * k, (r[1] + 0.5) * k, (r[2] - r[0]) * k, (r[3] - r[1]) * k}
	}
	f := c.Finding
	return camView{
		Title:   fmt.Sprintf("frame %d, box %s %s in %s, %.0f m", f.Frame, f.ID, f.Class, c.View.Camera, f.Range),
		Verdict: string(f.Verdict), Reasons: strings.Join(f.Reasons, "; "),
		Image: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())),
		W:     int(math.Round(float64(c.W) * k)), H: int(math.Round(float64(c.H) * k)),
		Box: rect(c.Box), Fixed: rect(c.Fixed),
	}, nil
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(p *int64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprintf("%+.1f", float64(*p)/1e6)
	},
	"f2":   func(v float64) string { return fmt.Sprintf("%+.2f", v) },
	"join": strings.Join,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rigsync labels check: {{.R.Labels}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
#verdict{color:#fff;padding:.8em 1em;border-radius:6px;font-size:1.2em}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.wrong{color:#c62828}.suspicious{color:#ef6c00}.ok{color:#2e7d32}
.crops{display:flex;flex-wrap:wrap;gap:1em}.crop{width:320px}.crop svg{background:#111;border-radius:4px}
.note{color:#555}
</style></head><body>
<div id="verdict" style="background:{{.Colour}}">{{.R.Verdict}}: {{.R.Boxes}} boxes in {{.R.Frames}} frames, {{.R.OK}} ok, {{.R.Suspicious}} suspicious, {{.R.Wrong}} wrong, {{.R.Missing}} missing</div>
<p>Labels <code>{{.R.Labels}}</code> ({{.R.Format}}) on <code>{{.R.Log}}</code>: {{.R.Matched}} of {{.R.LabelFrames}} labelled frames checked, {{.R.Observed}} boxes observed (enough LiDAR points to fit); times are ns on the clock <code>{{.R.Clock}}</code>.</p>
{{range .R.Notes}}<p class="note">Note: {{.}}</p>{{end}}
<h2>Error kinds</h2>
<table><tr><th>kind</th><th>wrong</th><th>suspicious</th><th>tracks</th><th>systematic tracks</th></tr>
{{range .R.Kinds}}<tr><td>{{.Kind}}</td><td>{{.Wrong}}</td><td>{{.Suspicious}}</td><td>{{.Tracks}}</td><td>{{.Systematic}}</td></tr>{{end}}</table>
<h2>Classes</h2>
<table><tr><th>class</th><th>boxes</th><th>observed</th><th>suspicious</th><th>wrong</th><th>mean offset x, y, z (m, box axes)</th><th>spread (m)</th><th>systematic</th></tr>
{{range .R.Classes}}<tr><td>{{.Class}}</td><td>{{.Boxes}}</td><td>{{.Observed}}</td><td>{{.Suspicious}}</td><td>{{.Wrong}}</td><td>{{f2 (index .MeanOffset 0)}} {{f2 (index .MeanOffset 1)}} {{f2 (index .MeanOffset 2)}}</td><td>{{printf "%.2f" .SpreadM}}</td><td>{{.Systematic}}</td></tr>{{end}}</table>
<h2>Tracks not ok</h2>
<table><tr><th>id</th><th>class</th><th>verdict</th><th>flagged / boxes</th><th>kinds</th><th>systematic</th><th>time offset (ms)</th></tr>
{{range .R.Tracks}}{{if ne .Verdict "ok"}}<tr><td>{{.ID}}</td><td>{{.Class}}</td><td class="{{.Verdict}}">{{.Verdict}}</td><td>{{.Suspicious}}+{{.Wrong}} / {{.Boxes}}</td><td>{{join .Kinds ", "}}</td><td>{{join .Systematic ", "}}</td><td>{{ms .TimeOffsetNS}}</td></tr>{{end}}{{end}}</table>
<h2>The worst boxes, seen from above</h2>
<p class="note">Points around the box (above the ground, moved to the box's time with its velocity) in white, the box as labelled in red, as corrected in green (dashed), the direction to the LiDAR in blue; x forward to the right.</p>
<div class="crops">{{range .Crops}}<div class="crop"><svg width="{{.Size}}" height="{{.Size}}" viewBox="0 0 {{.Size}} {{.Size}}" role="img" aria-label="{{.Title}}">
<path d="{{.Points}}" fill="#eee"/><polygon points="{{.Box}}" fill="none" stroke="#ff5252" stroke-width="2"/><polygon points="{{.Fixed}}" fill="none" stroke="#69f0ae" stroke-width="2" stroke-dasharray="6 4"/><path d="{{.Sensor}}" stroke="#40c4ff" stroke-width="1.5"/></svg>
<div><b>{{.Title}}</b>: <span class="{{.Verdict}}">{{.Verdict}}</span>: {{.Reasons}}</div></div>{{else}}<p>No finding.</p>{{end}}</div>
<h2>Camera findings</h2>
<p class="note">The image around each box whose projection disagrees with the camera (the worst first found): the box at the camera's capture time projected into the image in red, its sides moved to the image's edges in green (dashed).</p>
<div class="crops">{{range .Cams}}<div class="crop"><svg width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="{{.Title}}">
<image href="{{.Image}}" x="0" y="0" width="{{.W}}" height="{{.H}}" preserveAspectRatio="none" style="image-rendering:pixelated"/><rect x="{{index .Box 0}}" y="{{index .Box 1}}" width="{{index .Box 2}}" height="{{index .Box 3}}" fill="none" stroke="#ff5252" stroke-width="2"/><rect x="{{index .Fixed 0}}" y="{{index .Fixed 1}}" width="{{index .Fixed 2}}" height="{{index .Fixed 3}}" fill="none" stroke="#69f0ae" stroke-width="2" stroke-dasharray="6 4"/></svg>
<div><b>{{.Title}}</b>: <span class="{{.Verdict}}">{{.Verdict}}</span>: {{.Reasons}}</div></div>{{else}}<p>No camera finding.</p>{{end}}</div>
<h2>Findings</h2>
<table><tr><th>frame</th><th>box</th><th>class</th><th>verdict</th><th>kinds</th><th>points</th><th>range (m)</th><th>reasons</th></tr>
{{range .Shown}}<tr><td>{{.Frame}}</td><td>{{.ID}}</td><td>{{.Class}}</td><td class="{{.Verdict}}">{{.Verdict}}</td><td>{{join .Kinds ", "}}</td><td>{{.Points}}</td><td>{{printf "%.0f" .Range}}</td><td>{{join .Reasons "; "}}</td></tr>{{end}}</table>
{{if .More}}<p>... and {{.More}} more findings in report.json.</p>{{end}}
</body></html>
`))

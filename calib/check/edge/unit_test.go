package edge

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// The two-pass IDT equals the definition (within 1 of rounding)
// D = α·E + (1−α)·max E_xy·γ^chebyshev, evaluated by brute force.
func TestIDTBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		w, h         int
		alpha, gamma float64
		density      float64
	}{
		{1, 1, 1.0 / 3, 0.98, 1},
		{17, 9, 1.0 / 3, 0.98, 0.05},
		{23, 31, 0.5, 0.8, 0.02},
		{40, 12, 0.1, 0.5, 0.2},
	} {
		e := make([]uint8, tc.w*tc.h)
		for i := range e {
			if rng.Float64() < tc.density {
				e[i] = uint8(rng.IntN(256))
			}
		}
		got := idt(e, tc.w, tc.h, tc.alpha, tc.gamma)
		for y := range tc.h {
			for x := range tc.w {
				m := 0.0
				for yy := range tc.h {
					for xx := range tc.w {
						d := max(abs(xx-x), abs(yy-y))
						m = max(m, float64(e[yy*tc.w+xx])*math.Pow(tc.gamma, float64(d)))
					}
				}
				want := tc.alpha*float64(e[y*tc.w+x]) + (1-tc.alpha)*m
				if g := float64(got[y*tc.w+x]); math.Abs(g-want) > 1 { // fixed point, then rounded
					t.Fatalf("%dx%d γ=%v: D(%d,%d) = %v, want %.2f", tc.w, tc.h, tc.gamma, x, y, g, want)
				}
			}
		}
	}
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// The edge map is the largest absolute difference to the 8 neighbours.
func TestEdgesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w, h := 13, 7
	g := make([]uint8, w*h)
	for i := range g {
		g[i] = uint8(rng.IntN(256))
	}
	e := edges(g, w, h)
	for y := range h {
		for x := range w {
			m := 0
			for yy := max(0, y-1); yy <= min(h-1, y+1); yy++ {
				for xx := max(0, x-1); xx <= min(w-1, x+1); xx++ {
					m = max(m, abs(int(g[yy*w+xx])-int(g[y*w+x])))
				}
			}
			if int(e[y*w+x]) != m {
				t.Fatalf("E(%d,%d) = %d, want %d", x, y, e[y*w+x], m)
			}
		}
	}
}

func TestSample(t *testing.T) {
	d := []uint8{0, 10, 20, 30}
	for _, tc := range []struct {
		u, v float64
		want float64
		ok   bool
	}{
		{0, 0, 0, true}, {1, 0, 10, true}, {0.5, 0.5, 15, true}, {1, 1, 30, true}, {0.25, 0, 2.5, true},
		{-0.1, 0, 0, false}, {1.1, 0, 0, false}, {0, math.NaN(), 0, false},
	} {
		got, ok := sample(d, 2, 2, tc.u, tc.v)
		if ok != tc.ok || ok && math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("sample(%v, %v) = %v, %v; want %v, %v", tc.u, tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

// scan builds a one-LiDAR cloud of rings × cols firings from the origin
// (column j at azimuth π − 2πj/cols, ring i at elevation elev[i]), with
// the range of each firing from rangeAt (≤ 0: no return).
func scan(origin r3.Vec, elev []float64, cols int, rangeAt func(ring, col int, az, el float64) float64) *fused.Cloud {
	c := &fused.Cloud{Sources: []string{"lidar"}}
	P := &c.Points
	for j := range cols {
		az := math.Pi - 2*math.Pi*float64(j)/float64(cols)
		for i, el := range elev {
			r := rangeAt(i, j, az, el)
			if r <= 0 {
				continue
			}
			d := r3.Vec{X: math.Cos(el) * math.Cos(az), Y: math.Cos(el) * math.Sin(az), Z: math.Sin(el)}
			p := r3.Add(origin, r3.Scale(r, d))
			P.X, P.Y, P.Z = append(P.X, float32(p.X)), append(P.Y, float32(p.Y)), append(P.Z, float32(p.Z))
			P.Ring = append(P.Ring, uint16(i))
			c.Source = append(c.Source, 0)
		}
	}
	return c
}

// A 20°-wide box 10 m away in front of a wall 20 m away, reaching up to
// ring 2 of 4: its two side edges in rings 0–2 are found ring-wise (moved
// half a firing outwards) and its top in ring 2 across rings (moved half
// a ring upwards); nothing else is.
func TestDiscontinuitiesBox(t *testing.T) {
	deg := math.Pi / 180
	origin := r3.Vec{Z: 2}
	elev := []float64{-3 * deg, -2 * deg, -1 * deg, 0}
	const cols = 360
	inBox := func(ring, col int) bool { return ring <= 2 && col >= 170 && col <= 190 } // az 10° … −10°
	c := scan(origin, elev, cols, func(ring, col int, az, el float64) float64 {
		if inBox(ring, col) {
			return 10
		}
		return 20
	})
	ep := edgeParams{origin: origin, minJump: 0.3, maxJump: 5, pointGamma: 0.5, minHeight: 0.3, vertical: true}
	got := discontinuities(c, 0, ep)
	type key struct {
		azTenth, elTenth int
	}
	want := map[key]int{}
	for ring := 0; ring <= 2; ring++ {
		for _, azd := range []float64{10.5, -10.5} { // half way to the wall's firing
			want[key{int(math.Round(azd * 10)), int(math.Round(elev[ring] / deg * 10))}]++
		}
	}
	for col := 170; col <= 190; col++ {
		azd := 180 - float64(col)
		want[key{int(math.Round(azd * 10)), -5}]++ // half way from ring 2 (−1°) to ring 3 (0°)
	}
	for _, d := range got {
		v := r3.Sub(d.P, origin)
		r := r3.Norm(v)
		if math.Abs(r-10) > 0.01 {
			t.Errorf("point %v at range %.3f, want 10 (the near side)", d.P, r)
		}
		k := key{int(math.Round(math.Atan2(v.Y, v.X) / deg * 10)), int(math.Round(math.Asin(v.Z/r) / deg * 10))}
		if want[k] == 0 {
			t.Errorf("unexpected discontinuity at azimuth %.1f°, elevation %.1f°", float64(k.azTenth)/10, float64(k.elTenth)/10)
			continue
		}
		want[k]--
		if w := math.Pow(5, 0.5); math.Abs(d.W-w) > 1e-9 { // jump 10 m capped at 5
			t.Errorf("weight %v, want %v", d.W, w)
		}
	}
	for k, n := range want {
		if n > 0 {
			t.Errorf("missed the discontinuity at azimuth %.1f°, elevation %.1f°", float64(k.azTenth)/10, float64(k.elTenth)/10)
		}
	}
	// Without across-ring edges only the 6 side points remain.
	ep.vertical = false
	if n := len(discontinuities(c, 0, ep)); n != 6 {
		t.Errorf("ring-wise only: %d points, want 6", n)
	}
	// Points of another LiDAR are ignored.
	if n := len(discontinuities(c, 1, ep)); n != 0 {
		t.Errorf("source 1: %d points, want 0", n)
	}
}

// A wall along the road seen at grazing angles (range grows steadily along
// the ring) has no depth edge; Levinson & Thrun's one-sided jump
// max(r_{i±1} − r_i) would flag most of it.
func TestDiscontinuitiesGrazingWall(t *testing.T) {
	deg := math.Pi / 180
	c := scan(r3.Vec{Z: 2}, []float64{0, 1 * deg}, 720, func(ring, col int, az, el float64) float64 {
		if az < 3*deg || az > 177*deg {
			return 0 // no return
		}
		return 5 / math.Sin(az) / math.Cos(el) // the wall y = 5 (horizontal range 5/sin az)
	})
	got := discontinuities(c, 0, edgeParams{origin: r3.Vec{Z: 2}, minJump: 0.3, maxJump: 5, pointGamma: 0.5, minHeight: 0.3, vertical: true})
	if len(got) != 0 {
		t.Errorf("%d discontinuities on a plain wall, first %v", len(got), got[0].P)
	}
	oneSided := 0
	P := &c.Points
	for i := 1; i+1 < len(P.X)/2; i++ {
		r := func(k int) float64 { return math.Hypot(float64(P.X[2*k]), float64(P.Y[2*k])) }
		if max(r(i-1)-r(i), r(i+1)-r(i)) >= 0.3 {
			oneSided++
		}
	}
	if oneSided == 0 {
		t.Error("the one-sided jump flags nothing either: the wall is not grazing enough to test")
	}
}

// Frames the checker cannot use are skipped and counted; with too few the
// result is Skipped, not an error.
func TestSkipped(t *testing.T) {
	c := NewCameraChecker("cam", "lidar", Options{})
	if err := c.Add(nil); err == nil {
		t.Error("Add(nil): no error")
	}
	bad := &formats.CompressedImage{Format: "jpeg", Data: []byte("not a jpeg")}
	info := formats.CameraInfo{Width: 8, Height: 8, DistortionModel: "plumb_bob", D: make([]float64, 5),
		K: [9]float64{8, 0, 4, 0, 8, 4, 0, 0, 1}}
	frames := []*fused.Frame{
		{Stamp: 1},
		{Stamp: 2, Cameras: []fused.Camera{{Name: "other"}}},
		{Stamp: 3, Cameras: []fused.Camera{{Name: "cam", Image: bad, Info: info}}},
		{Stamp: 4, Index: 3, Cameras: []fused.Camera{{Name: "cam", Topic: "/cam/image", Stamp: 44, Image: bad, Info: info}}, Lidar: &fused.Cloud{Sources: []string{"lidar"}}},
	}
	for _, f := range frames {
		if err := c.Add(f); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	res, ovs, err := c.Results()
	if err != nil || len(ovs) != 0 || len(res) != 2 {
		t.Fatalf("Results: %v, %d overlays, %d results", err, len(ovs), len(res))
	}
	for _, r := range res {
		if r.Verdict != check.Skipped || r.Sensor != "cam" || r.Reference != "lidar" {
			t.Errorf("%+v", r)
		}
		for _, want := range []string{"camera missing: 2", "LiDAR missing: 1", "undecodable image: 1", "topic /cam/image) image stamped 44 (frame 3)"} {
			if !bytes.Contains([]byte(r.Note), []byte(want)) {
				t.Errorf("%s note %q lacks %q", r.Kind, r.Note, want)
			}
		}
	}
}

func TestDecodeImage(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.Gray{200})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    formats.Payload
		ok   bool
	}{
		{"jpeg", &formats.CompressedImage{Format: "jpeg", Data: buf.Bytes()}, true},
		{"mono8", &formats.Image{Width: 4, Height: 3, Encoding: "mono8", Step: 4, Data: make([]byte, 12)}, true},
		{"short raw", &formats.Image{Width: 4, Height: 3, Encoding: "mono8", Step: 4, Data: make([]byte, 11)}, false},
		{"garbage", &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff}}, false},
		{"nil", nil, false},
		{"size mismatch", &formats.Image{Width: 5, Height: 3, Encoding: "mono8", Step: 5, Data: make([]byte, 15)}, false},
		{"not an image", &formats.IMU{}, false},
	} {
		w, h := 0, 0
		if tc.name == "size mismatch" {
			w, h = 4, 3
		}
		im, err := decodeImage(tc.p, w, h)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
			continue
		}
		if tc.ok {
			if g, w, h := grayOf(im); w != 4 || h != 3 || len(g) != 12 {
				t.Errorf("%s: gray %dx%d", tc.name, w, h)
			}
		}
	}
}

// highPass subtracts the clamped box mean, offset by 128.
func TestHighPassBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	w, h, r := 19, 11, 3
	d := make([]uint8, w*h)
	for i := range d {
		d[i] = uint8(rng.IntN(256))
	}
	got := highPass(d, w, h, r)
	for y := range h {
		for x := range w {
			sum, n := 0.0, 0
			for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
					sum += float64(d[yy*w+xx])
					n++
				}
			}
			want := max(0, min(255, math.Round(float64(d[y*w+x])-sum/float64(n)+128)))
			if g := float64(got[y*w+x]); math.Abs(g-want) > 1 {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, g, want)
			}
		}
	}
	if &highPass(d, w, h, 0)[0] != &d[0] {
		t.Error("radius 0 copies")
	}
}

// Window verdicts count only the directions the window's evidence
// observes: a window whose score is lowered only by a probe of the
// vertical image direction (optical roll, seen only by ring-quantized
// horizontal depth edges, however many) or of the rotation about the
// optical axis (not searched by default), that holds fewer than 3 frames,
// or where nothing aligns, is inconclusive, not miscalibrated; a probe of
// the horizontal image direction (optical pitch) still makes it
// miscalibrated or suspicious. J values are per unit weight (each frame's
// weights sum to 100).
func TestWindowVerdicts(t *testing.T) {
	// Probe indices: 2·axis + sign (axis 0 roll, 1 pitch, 2 yaw about the
	// optical x, y, z; sign 0 is +, 1 is −).
	const rollMinus, pitchMinus, yawPlus = 1, 3, 4
	for _, tc := range []struct {
		name      string
		frames    int
		across    int // per frame
		j0        float64
		probe     int
		jProbe    float64
		imageRot  bool
		want      check.Verdict
		wantScore float64
		note      string
	}{
		{"roll probe, few horizontal edges", 20, 5, 10, rollMinus, 20, false, check.Inconclusive, 0.5, "100 of the window's 2000"},
		{"roll probe, many horizontal edges", 20, 80, 10, rollMinus, 20, false, check.Inconclusive, 0.5, "optical-roll probe"},
		{"pitch probe", 20, 5, 10, pitchMinus, 20, false, check.Miscalibrated, 0.5, ""},
		{"pitch probe, mild", 20, 5, 10, pitchMinus, 14, false, check.Suspicious, 10.0 / 14, ""},
		{"optical-axis probe, not searched", 20, 50, 10, yawPlus, 20, false, check.Inconclusive, 0.5, "not searched"},
		{"optical-axis probe, searched", 20, 50, 10, yawPlus, 20, true, check.Miscalibrated, 0.5, ""},
		{"two frames", 2, 500, 10, pitchMinus, 20, false, check.Inconclusive, 0.5, "only 2 frame(s)"},
		{"nothing aligns", 20, 50, -5, pitchMinus, -1, false, check.Inconclusive, 0, "too little edge alignment"},
		// As a window of seed 5 of the urban rig with the true calibration.
		{"weak alignment", 20, 50, -1.97, pitchMinus, 0.7, false, check.Inconclusive, -1.97 / 0.7, "at best 0.70 per unit weight (need 1.5"},
		{"current best", 20, 5, 10, rollMinus, 9, false, check.OK, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCameraChecker("cam", "lidar", Options{SearchImageRotation: tc.imageRot})
			for i := range tc.frames {
				s := summary{stamp: 1e9 + int64(i)*100e6, wsum: 100, pts: 100, across: tc.across, j0: 100 * tc.j0}
				for k := range s.jn {
					s.jn[k] = 100 * (tc.j0 - 3) // the other probes score worse
				}
				s.jn[tc.probe] = 100 * tc.jProbe
				c.sums = append(c.sums, s)
			}
			ws := c.windows()
			if len(ws) != 1 {
				t.Fatalf("%d windows, want 1: %+v", len(ws), ws)
			}
			w := ws[0]
			t.Logf("%s %.3f: %s", w.Verdict, w.Score, w.Note)
			if w.Verdict != tc.want || math.Abs(w.Score-tc.wantScore) > 1e-9 || w.Frames != tc.frames {
				t.Errorf("verdict %s score %.3f frames %d, want %s %.3f %d", w.Verdict, w.Score, w.Frames, tc.want, tc.wantScore, tc.frames)
			}
			if !strings.Contains(w.Note, tc.note) || (w.Note == "") != (tc.want != check.Inconclusive) {
				t.Errorf("note %q, want one containing %q only for inconclusive", w.Note, tc.note)
			}
		})
	}
}

// nthSmallest gives the element slices.Sort puts at index k, NaNs (first)
// and ties included, on every k of random slices and on sorted, reversed
// and constant ones (the selection's bad cases).
func TestNthSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var cases [][]float64
	for n := 1; n < 40; n++ {
		a := make([]float64, n)
		for i := range a {
			switch rng.IntN(10) {
			case 0:
				a[i] = math.NaN()
			case 1:
				a[i] = 0.5
			default:
				a[i] = rng.Float64()
			}
		}
		cases = append(cases, a)
	}
	up, down, flat := make([]float64, 1000), make([]float64, 1000), make([]float64, 1000)
	for i := range up {
		up[i], down[i], flat[i] = float64(i), float64(-i), 1
	}
	cases = append(cases, up, down, flat)
	for _, a := range cases {
		want := slices.Clone(a)
		slices.Sort(want)
		for k := range a {
			got := nthSmallest(slices.Clone(a), k)
			if got != want[k] && !(math.IsNaN(got) && math.IsNaN(want[k])) {
				t.Fatalf("n=%d k=%d: %v, want %v", len(a), k, got, want[k])
			}
		}
	}
}

package camera

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"
)

const benchN = 1_000_000

func benchPoints(n int) []r3.Vec {
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]r3.Vec, n)
	for i := range pts {
		s := 0.5 + rng.Float64()*19.5
		pts[i] = r3.Vec{X: (rng.Float64()*1.2 - 0.6) * s, Y: (rng.Float64()*0.8 - 0.4) * s, Z: s}
	}
	return pts
}

// BenchmarkProject projects 1M points per iteration with each model on one
// core; points/s is reported as the pts/s metric.
func BenchmarkProject(b *testing.B) {
	pts := benchPoints(benchN)
	dst := make([][2]float64, len(pts))
	valid := make([]bool, len(pts))
	for name, m := range models(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(pts) * 24))
			for i := 0; i < b.N; i++ {
				m.ProjectPoints(dst, valid, pts)
			}
			b.ReportMetric(float64(b.N)*float64(len(pts))/b.Elapsed().Seconds(), "pts/s")
		})
	}
}

// TestSpeedVsOpenCV measures points/s of ProjectPoints and of OpenCV's
// projectPoints on 1M points in the same run (OpenCV through
// testdata/bench_opencv.py, single-threaded). It runs only with
// RIGSYNC_OPENCV_BENCH=1 and Debian's python3-opencv installed.
func TestSpeedVsOpenCV(t *testing.T) {
	if os.Getenv("RIGSYNC_OPENCV_BENCH") == "" {
		t.Skip("set RIGSYNC_OPENCV_BENCH=1 (needs /usr/bin/python3 with cv2) to compare with OpenCV")
	}
	out, err := exec.Command("/usr/bin/python3", "testdata/bench_opencv.py", strconv.Itoa(benchN)).Output()
	if err != nil {
		t.Skipf("OpenCV benchmark unavailable: %v", err)
	}
	cv := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			cv[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	pts := benchPoints(benchN)
	dst := make([][2]float64, len(pts))
	valid := make([]bool, len(pts))
	ms := models(t)
	targets := map[string]float64{"plumb_bob": 10, "rational": 10, "equidistant": 5}
	for name, target := range targets {
		m := ms[name]
		best := time.Hour
		for r := 0; r < 5; r++ {
			t0 := time.Now()
			m.ProjectPoints(dst, valid, pts)
			best = min(best, time.Since(t0))
		}
		ours := float64(len(pts)) / best.Seconds()
		ratio := ours / cv[name]
		t.Logf("%s: rigsync %.1f M pts/s, OpenCV %.2f M pts/s, ratio %.1f× (target ≥ %g×)", name, ours/1e6, cv[name]/1e6, ratio, target)
	}
}

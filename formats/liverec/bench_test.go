package liverec

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapwrite"
	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
)

// benchCameras, benchW×benchH at benchFPS: the load.
const (
	benchCameras = 4
	benchW       = 1280
	benchH       = 720
	benchFPS     = 30
	benchPhase   = 5 * time.Second
)

// TestBenchCameraServer is the camera process of BenchmarkRecordFourMJPEG:
// it serves benchCameras MJPEG streams (camera clock = host clock), prints
// their URLs and runs until its stdin closes. It does nothing unless
// RIGSYNC_BENCH_CAMERAS is set.
func TestBenchCameraServer(t *testing.T) {
	if os.Getenv("RIGSYNC_BENCH_CAMERAS") == "" {
		t.Skip("subprocess of BenchmarkRecordFourMJPEG")
	}
	for i := range benchCameras {
		// Each camera its own frames, so that no compression can
		// share bytes between them.
		jpegs := make([][]byte, 30)
		for j := range jpegs {
			jpegs[j] = noisyJPEG(t, benchW, benchH, 100*i+j)
		}
		s, err := rtsptest.Start(rtsptest.Config{Path: fmt.Sprintf("/cam%d", i), NTPStart: time.Now(),
			SRPeriod: 500 * time.Millisecond, Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: benchFPS, JPEGs: jpegs}}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fmt.Println("URL", s.URL())
	}
	fmt.Println("READY")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// noisyJPEG is a baseline JPEG (quality 80, 4:2:0) of a gradient with
// fine noise: about 210 KB at 1280×720, the size of a real camera's MJPEG
// frame (a smooth test pattern compresses to a few KB and would make the
// benchmark meaningless).
func noisyJPEG(t *testing.T, w, h, seed int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	for y := range h {
		for x := range w {
			v := (x*3+y*5+seed*7)%200 + 20 + r.IntN(9) - 4
			img.Y[y*img.YStride+x] = uint8(v)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(124+r.IntN(9)), uint8(124+r.IntN(9))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecordFourMJPEG records four MJPEG 1280×720 30 fps cameras
// (served by a separate process, so that only the recorder's CPU is
// measured) for 5 s over TCP, with zstd and with uncompressed chunks,
// after a 5 s baseline in the same run that receives the same streams and
// discards the frames. Metrics:
// cpu_s/s (user+sys CPU per wall second while recording), base_cpu_s/s
// (the receive-only baseline), cpu_ratio (their ratio), capture_p99_ms
// (capture → appended to the MCAP chunk; camera clock = host clock here;
// includes the start, where the client holds frames up to 500 ms waiting
// for the first sender report), steady_capture_p99_ms (the same over
// frames received 1 s or more after the start), receive_p99_ms and
// steady_receive_p99_ms (host receive → appended: the client's processing
// plus the recorder, without the network and the camera), dropped (frames the clients dropped plus frames missing
// against 30 fps), MB/s written.
func BenchmarkRecordFourMJPEG(b *testing.B) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchCameraServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RIGSYNC_BENCH_CAMERAS=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	var urls []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "URL "); ok {
			urls = append(urls, u)
		}
		if line == "READY" {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if len(urls) != benchCameras {
		b.Fatalf("camera process gave %d URLs", len(urls))
	}
	dial := func(ctx context.Context) []Source {
		var out []Source
		for _, u := range urls {
			c, err := rtsp.Dial(ctx, rtsp.Config{URL: u, Transport: "tcp"})
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}

	// Baseline, once: receive and discard.
	baseCPU, baseFrames := func() (float64, int) {
		ctx, cancel := context.WithTimeout(context.Background(), benchPhase)
		defer cancel()
		srcs := dial(ctx)
		cpu0, t0 := cpuTime(), time.Now()
		done := make(chan int)
		for _, s := range srcs {
			go func() {
				n := 0
				for range s.Frames() {
					n++
				}
				done <- n
			}()
		}
		<-ctx.Done()
		for _, s := range srcs {
			s.Close()
		}
		n := 0
		for range srcs {
			n += <-done
		}
		return (cpuTime() - cpu0).Seconds() / time.Since(t0).Seconds(), n
	}()
	b.Logf("baseline: received %d frames, %.3f CPU s/s", baseFrames, baseCPU)

	for _, comp := range []string{"zstd", "none"} {
		b.Run(comp, func(b *testing.B) {
			for range b.N {
				recordOnce(b, dial, comp, baseCPU)
			}
		})
	}
}

// recordOnce records the cameras for benchPhase and reports the metrics.
func recordOnce(b *testing.B, dial func(context.Context) []Source, comp string, baseCPU float64) {
	path := filepath.Join(b.TempDir(), "bench.mcap")
	w, err := mcapwrite.Create(path, mcapwrite.Options{Compression: comp})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), benchPhase)
	defer cancel()
	srcs := dial(context.Background())
	// Steady-state latency: frames received from 1 s after the start on
	// (the first ones wait for the first sender report).
	var steady, steadyRecv []float64
	var steadyFrom int64
	s, err := New(mcapwrite.NewRecorder(w), srcs, Options{Written: func(_ string, m formats.Message, prov bool, at time.Time) {
		if !prov && m.LogTime >= steadyFrom {
			steady = append(steady, float64(at.UnixNano()-m.Stamp)/1e6)
			steadyRecv = append(steadyRecv, float64(at.UnixNano()-m.LogTime)/1e6)
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	cpu0, t0 := cpuTime(), time.Now()
	steadyFrom = t0.Add(time.Second).UnixNano()
	sum, err := s.Run(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	wall := time.Since(t0).Seconds()
	recCPU := (cpuTime() - cpu0).Seconds() / wall

	var frames, dropped uint64
	for _, c := range sum.Cameras {
		frames += c.Frames
		dropped += c.DroppedFrames
		if want := uint64(benchPhase.Seconds()*benchFPS) * 97 / 100; c.Frames < want {
			dropped += want - c.Frames
		}
	}
	p99, p99Recv := quantile(steady, 0.99), quantile(steadyRecv, 0.99)
	fi, _ := os.Stat(path)
	b.ReportMetric(recCPU, "cpu_s/s")
	b.ReportMetric(baseCPU, "base_cpu_s/s")
	b.ReportMetric(recCPU/baseCPU, "cpu_ratio")
	b.ReportMetric(sum.CaptureLatencyP99Ms, "capture_p99_ms")
	b.ReportMetric(p99, "steady_capture_p99_ms")
	b.ReportMetric(sum.WriteLatencyP99Ms, "receive_p99_ms")
	b.ReportMetric(p99Recv, "steady_receive_p99_ms")
	b.ReportMetric(float64(dropped), "dropped")
	b.ReportMetric(float64(frames)/wall/benchCameras, "fps/cam")
	b.ReportMetric(float64(fi.Size())/1e6/wall, "MB/s")
	b.Logf("%s: recorded %d frames, %d dropped, capture→written p50 %.1f ms p99 %.1f ms (steady p99 %.1f ms), receive→written p99 %.1f ms (steady p99 %.1f ms)",
		comp, frames, dropped, sum.CaptureLatencyP50Ms, sum.CaptureLatencyP99Ms, p99, sum.WriteLatencyP99Ms, p99Recv)
}

// quantile is the q-quantile of v (sorted in place; 0 when empty).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[min(len(v)-1, max(0, int(math.Ceil(q*float64(len(v))))-1))]
}

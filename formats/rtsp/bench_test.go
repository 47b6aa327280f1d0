package rtsp

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
)

// BenchmarkCameras720p streams N MJPEG 1280×720 30 fps cameras from
// rtsptest (in this process: the server side's packetization counts in
// the CPU figure) into N Clients over TCP or UDP; one iteration is one frame
// period (33 ms) of all cameras. Metrics: dropped frames, p99 latency from
// the server's write to the frame's delivery, and CPU use in cores; compare
// cams=4 against the cams=1 baseline of the same run. "dropped" counts
// packets dropped or lost plus frames not taken; over UDP it depends on
// the socket buffer (Config.UDPReadBufferSize, net.core.rmem_max).
func BenchmarkCameras720p(b *testing.B) {
	jpegs, err := rtsptest.TestJPEGs(1280, 720, 30)
	if err != nil {
		b.Fatal(err)
	}
	size := 0
	for _, j := range jpegs {
		size += len(j)
	}
	b.Logf("test frames: 1280x720 JPEG, mean %d bytes", size/len(jpegs))
	for _, tc := range []struct {
		cams      int
		transport string
	}{{1, "tcp"}, {4, "tcp"}, {4, "udp"}} {
		b.Run(fmt.Sprintf("cams=%d/%s", tc.cams, tc.transport), func(b *testing.B) {
			benchCameras(b, tc.cams, tc.transport, jpegs)
		})
	}
}

func benchCameras(b *testing.B, cams int, transport string, jpegs [][]byte) {
	type cam struct {
		srv *rtsptest.Server
		c   *Client
	}
	all := make([]cam, cams)
	for i := range all {
		srv, err := rtsptest.Start(rtsptest.Config{UDP: transport == "udp", SRPeriod: time.Second, Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}}})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		c, err := Dial(context.Background(), Config{URL: srv.URL(), Transport: transport})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		all[i] = cam{srv, c}
	}
	// Skip the first second (connection, first sender report).
	time.Sleep(time.Second)
	for _, a := range all {
		for len(a.c.Frames()) > 0 {
			<-a.c.Frames()
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	var frames int
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, a := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case f := <-a.c.Frames():
					now := time.Now().UnixNano()
					if tr, ok := a.srv.Lookup(0, f.Session, f.RTP); ok {
						mu.Lock()
						lat = append(lat, time.Duration(now-tr.Host))
						frames++
						mu.Unlock()
					}
				}
			}
		}()
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	b.ResetTimer()
	time.Sleep(time.Duration(b.N) * time.Second / 30)
	b.StopTimer()
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	close(stop)
	wg.Wait()
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	var dropped uint64
	for _, a := range all {
		st := a.c.Stats()
		dropped += st.DroppedPackets + st.Tracks[0].DroppedFrames + st.LostPackets
		if st.DroppedPackets+st.Tracks[0].DroppedFrames+st.LostPackets+st.DecodeErrors > 0 {
			b.Logf("dropped packets %d, frames %d, lost %d, decode errors %d", st.DroppedPackets, st.Tracks[0].DroppedFrames, st.LostPackets, st.DecodeErrors)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1e3, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "p50-ms")
	}
	b.ReportMetric(float64(frames)/wall.Seconds(), "frames/s")
	b.ReportMetric(float64(dropped), "dropped")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cpu-cores")
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/logcalib"
	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
	"github.com/rigsync/rigsync/fusion/live"
	"github.com/rigsync/rigsync/fusion/writers/frames"
	"github.com/rigsync/rigsync/internal/app/liveapp"
)

// liveFrameDoc is the part of frame.json the live test reads.
type liveFrameDoc struct {
	StampNs int64           `json:"stamp_ns"`
	Clock   string          `json:"clock"`
	Cameras []liveCameraDoc `json:"cameras"`
	Lidar   *struct {
		Points int `json:"points"`
	} `json:"lidar"`
	Sensors []struct {
		Name    string `json:"name"`
		Missing bool   `json:"missing"`
	} `json:"sensors"`
}

type liveCameraDoc struct {
	Name    string `json:"name"`
	StampNs int64  `json:"stamp_ns"`
	Image   string `json:"image"`
}

// liveRig writes the rig of a fixture log plus a live camera cam_live
// (the fixture camera's extrinsic, intrinsics for w×h).
func liveRig(t *testing.T, log string, w, h int) string {
	t.Helper()
	rg, err := logcalib.ReadRig(context.Background(), log, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	front, err := rg.Sensor("cam_front")
	if err != nil {
		t.Fatal(err)
	}
	cam := rig.Sensor{Name: "cam_live", Modality: "camera", Frame: "cam_live", Extrinsic: front.Extrinsic,
		Intrinsics: &rig.Intrinsics{Model: "plumb_bob", Width: w, Height: h, Fx: float64(w) / 2, Fy: float64(w) / 2,
			Cx: float64(w)/2 - 0.5, Cy: float64(h)/2 - 0.5, Distortion: []float64{0, 0, 0, 0, 0}}}
	rg.Sensors = append(rg.Sensors, cam)
	path := filepath.Join(t.TempDir(), "rig.yaml")
	writeRigT(t, path, rg)
	return path
}

// TestLiveEndToEnd streams an MJPEG camera from an in-process RTSP server
// (camera clock 1.5 s ahead of the host, drifting) beside a fixture log
// replayed with --with, and checks the written frames against both
// truths: the LiDAR stamps are the log's sweeps, each camera image is the
// frame the server sent nearest in time, stamped on the host clock within
// a few ms of when it was sent, and every frame is written within the
// latency bound.
func TestLiveEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for 2 s")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "2s", "--camera-size", "160x96", "-q", "-o", log); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	tf, err := os.Open(filepath.Join(dir, "drive.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	truth, err := fixtures.LoadTruth(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 160, 96
	rigPath := liveRig(t, log, w, h)
	jpegs, err := rtsptest.TestJPEGs(w, h, 300)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rtsptest.Start(rtsptest.Config{Path: "/cam_live", Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}},
		DriftPPM: 40, SRPeriod: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out := filepath.Join(dir, "live")
	const maxLat = 400 * time.Millisecond
	code, stdout, errs := runCLI(t, "live", "--rig", rigPath, srv.URL(), "--with", log, "--transport", "tcp",
		"--max-latency", maxLat.String(), "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("live: exit %d\n%s\n%s", code, stdout, errs)
	}
	var sum liveapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	t.Logf("frames %d, latency %+v, stopped %s, streams %+v, replay %+v", sum.Frames, sum.Latency, sum.Stopped, sum.Streams, sum.Replay)
	lidar := truthSensor(t, truth, "lidar_top")
	if sum.Stopped != "end of --with" || sum.Reference != lidar.Topic {
		t.Errorf("stopped %q, reference %q", sum.Stopped, sum.Reference)
	}
	// One frame per sweep, except sweeps the overloaded host delivered
	// after the latency bound (dropped as late, and counted).
	var lidarStats live.StreamStats
	for _, s := range sum.Streams {
		if s.Name == "lidar_top" {
			lidarStats = s
		}
	}
	if sum.Frames+lidarStats.Dropped["late"] != lidar.Messages || sum.Frames < lidar.Messages/2 {
		t.Errorf("%d frames + %d late sweeps, want one per sweep (%d)", sum.Frames, lidarStats.Dropped["late"], lidar.Messages)
	}
	if len(sum.Cameras) != 1 || sum.Cameras[0].Clock != "host" {
		t.Fatalf("cameras %+v: want one, clock mapped to the host", sum.Cameras)
	}
	// The write latency bound holds, up to the longest the loop was kept
	// from running (10 ms ticks; more on a starved machine).
	if sum.Latency.Max > int64(maxLat)+sum.MaxCallGapNS+int64(time.Millisecond) || sum.Latency.Max <= 0 {
		t.Errorf("latency %+v, bound %v + loop gap %v", sum.Latency, maxLat, time.Duration(sum.MaxCallGapNS))
	}
	// Memory: what waits for the watermark is bounded by the latency
	// window (≤ 0.4 s × 50 messages/s of the three streams, and margin),
	// not by the run.
	if sum.MaxHeld > 40 {
		t.Errorf("up to %d messages held, want ≤ 40", sum.MaxHeld)
	}
	sent := srv.Truth()
	shift := sum.Replay.Mapping.HostStart - sum.Replay.Mapping.LogStart
	withCam := 0
	for i := range sum.Frames {
		b, err := os.ReadFile(filepath.Join(out, frames.DirName(i), "frame.json"))
		if err != nil {
			t.Fatal(err)
		}
		var fd liveFrameDoc
		if err := json.Unmarshal(b, &fd); err != nil {
			t.Fatal(err)
		}
		// The frame time is a LiDAR sweep of the log, shifted onto the host
		// clock by the replay's one offset.
		k := (fd.StampNs - shift - truth.Start - lidar.PhaseNS) / lidar.PeriodNS
		if fd.StampNs-shift != lidar.SampleTime(truth.Start, k) || fd.Clock != "host" || fd.Lidar == nil || fd.Lidar.Points == 0 {
			t.Errorf("frame %d: stamp %d (log %d), clock %s, lidar %+v: not a sweep of the log", i, fd.StampNs, fd.StampNs-shift, fd.Clock, fd.Lidar)
		}
		ci := slices.IndexFunc(fd.Cameras, func(c liveCameraDoc) bool { return c.Name == "cam_live" })
		if ci < 0 {
			continue
		}
		withCam++
		c := fd.Cameras[ci]
		// Within the tolerance of the frame time…
		if off := c.StampNs - fd.StampNs; off < -int64(50*time.Millisecond) || off > int64(50*time.Millisecond) {
			t.Errorf("frame %d: camera %v from the frame time", i, time.Duration(off))
		}
		checkLiveImage(t, out, i, fd, c, sent, 300, true)
	}
	if withCam < sum.Frames-2 {
		t.Errorf("only %d of %d frames have the camera", withCam, sum.Frames)
	}
}

// checkLiveImage checks a frame's image of an rtsptest camera (n JPEGs in
// a cycle) against the server's truth: it is the server's frame whose send
// time the stamp recovers (host clock, late by the loopback latency only),
// and, with nearest, no frame was sent nearer the frame time (not checked
// around a reconnect, where the frames held for the first sender report
// arrive too late to be grouped).
func checkLiveImage(t *testing.T, out string, i int, fd liveFrameDoc, c liveCameraDoc, sent []rtsptest.Sent, n int, nearest bool) {
	t.Helper()
	img, err := os.ReadFile(filepath.Join(out, frames.DirName(i), c.Image))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := rtsptest.JPEGIndex(img)
	if err != nil {
		t.Fatal(err)
	}
	var s *rtsptest.Sent
	for j := range sent {
		if sent[j].Index%n == idx%n && abs64(sent[j].Host-c.StampNs) < int64(time.Second) {
			s = &sent[j]
		}
	}
	if s == nil {
		t.Fatalf("frame %d: image %d was not sent near %d", i, idx, c.StampNs)
	}
	if d := c.StampNs - s.Host; d < -int64(2*time.Millisecond) || d > int64(15*time.Millisecond) {
		t.Errorf("frame %d: camera stamp %d is %v from the send time of image %d", i, c.StampNs, time.Duration(d), idx)
	}
	for _, o := range sent {
		if nearest && abs64(o.Host-fd.StampNs) < abs64(s.Host-fd.StampNs)-int64(5*time.Millisecond) {
			t.Errorf("frame %d: image %d sent %v from the frame time, image %d only %v", i, idx,
				time.Duration(s.Host-fd.StampNs), o.Index, time.Duration(o.Host-fd.StampNs))
			break
		}
	}
}

// TestLiveReconnect stops the camera's server in the middle of the run:
// live goes on, the frames of the outage mark the camera missing, the
// client reconnects, and the frames after it have the camera again,
// correctly stamped (the camera's RTP timestamps restarted; its clock,
// 1.5 s off the host's, carried on). The outage is driven by what live
// has written, not by the clock, so that a slow machine only makes the
// run longer: the server stops once 3 frames hold the camera, restarts
// once 3 frames of the outage lack it, and the run is interrupted once 3
// frames after the outage hold it again (the log lasts 12 s, ample for the
// client's reconnect backoff of 0.5, 1, 2 s).
func TestLiveReconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for a few seconds")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "12s", "--camera-size", "160x96", "-q", "-o", log); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	const w, h = 160, 96
	rigPath := liveRig(t, log, w, h)
	jpegs, err := rtsptest.TestJPEGs(w, h, 300)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rtsptest.Start(rtsptest.Config{Path: "/cam_live", Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}},
		SRPeriod: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out := filepath.Join(dir, "live")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var o, e bytes.Buffer
		code := run(ctx, []string{"live", "--rig", rigPath, srv.URL(), "--with", log, "--transport", "tcp", "-o", out, "--json"}, &o, &e)
		done <- result{code, o.String(), e.String()}
	}()
	// The outage, driven by the manifest live writes frame by frame.
	var res result
	finished := false
	phase := 0                     // 0: camera seen; 1: server stopped; 2: restarted; 3: back
	seen, with, without := 0, 0, 0 // manifest lines read; frames with and without the camera in this phase
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for !finished && phase < 3 {
		select {
		case res = <-done:
			finished = true
			continue
		case <-poll.C:
		}
		for _, hasCam := range liveManifestCameras(t, out, "cam_live")[seen:] {
			seen++
			if hasCam {
				with++
			} else {
				without++
			}
			switch {
			case phase == 0 && with >= 3:
				srv.Stop()
				phase, with, without = 1, 0, 0
			case phase == 1 && without >= 3:
				if err := srv.Restart(); err != nil {
					t.Fatal(err)
				}
				phase, with, without = 2, 0, 0
			case phase == 2 && with >= 3:
				phase = 3
			}
		}
	}
	if !finished {
		cancel() // the camera is back: enough
		res = <-done
	}
	code, stdout, errs := res.code, res.stdout, res.stderr
	if code != exitOK {
		t.Fatalf("live: exit %d (outage phase %d reached)\n%s\n%s", code, phase, stdout, errs)
	}
	var sum liveapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	cam := sum.Cameras[0].RTSP
	t.Logf("frames %d, camera sessions %d, gaps %d (%v), stopped: %s", sum.Frames, cam.Sessions, cam.Gaps, time.Duration(cam.GapNs), sum.Stopped)
	if cam.Reconnects < 1 || cam.Gaps < 1 || cam.GapNs < int64(400*time.Millisecond) {
		t.Errorf("camera stats %+v: want a reconnect and a gap of at least 0.4 s", cam)
	}
	sent := srv.Truth()
	missing, after := 0, 0
	for i := range sum.Frames {
		b, err := os.ReadFile(filepath.Join(out, frames.DirName(i), "frame.json"))
		if err != nil {
			t.Fatal(err)
		}
		var fd liveFrameDoc
		if err := json.Unmarshal(b, &fd); err != nil {
			t.Fatal(err)
		}
		ci := slices.IndexFunc(fd.Cameras, func(c liveCameraDoc) bool { return c.Name == "cam_live" })
		if ci < 0 {
			missing++
			continue
		}
		if missing > 0 {
			after++
		}
		checkLiveImage(t, out, i, fd, fd.Cameras[ci], sent, 300, false)
	}
	if missing < 3 || after < 3 {
		t.Errorf("%d frames without the camera, %d with it after the outage (outage phase %d reached); want the outage visible and the camera back",
			missing, after, phase)
	}
	if t.Failed() {
		t.Logf("live --json:\n%s\nstderr:\n%s", stdout, errs)
	}
}

// liveManifestCameras reads the manifest live has written so far (only
// whole lines) and tells for each frame whether it holds camera name.
func liveManifestCameras(t *testing.T, out, name string) []bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "manifest.jsonl"))
	if err != nil {
		return nil // not created yet
	}
	var has []bool
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break // a line being written
		}
		var l struct {
			Cameras []string `json:"cameras"`
		}
		if err := json.Unmarshal(b[:i], &l); err != nil {
			t.Fatalf("manifest line %q: %v", b[:i], err)
		}
		has = append(has, slices.Contains(l.Cameras, name))
		b = b[i+1:]
	}
	return has
}

func TestLiveUsage(t *testing.T) {
	dir := t.TempDir()
	rigPath := filepath.Join(dir, "rig.yaml")
	if err := os.WriteFile(rigPath, []byte(rig.Example), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"live", "rtsp://127.0.0.1:1/x", "-o", filepath.Join(dir, "out")}, "--rig"},
		{[]string{"live", "--rig", rigPath, "rtsp://127.0.0.1:1/x"}, "-o OUT"},
		{[]string{"live", "--rig", rigPath, "http://user:secret@host/x", "-o", filepath.Join(dir, "out")}, "not an rtsp"},
		{[]string{"live", "--rig", rigPath, "rtsp://127.0.0.1:1/x", "-o", filepath.Join(dir, "out"), "--camera-clock", "ptp"}, "camera-clock"},
		{[]string{"live", "--rig", rigPath, "rtsp://127.0.0.1:1/x", "-o", filepath.Join(dir, "out"), "--max-latency", "10ms"}, "max-latency"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) || strings.Contains(errs, "secret") {
			t.Errorf("%q: exit %d, %q; want usage error mentioning %q (and no password)", c.args, code, errs, c.want)
		}
	}
	// A camera that cannot be reached is an error naming it, without its
	// password (two cameras: one stream alone is refused before dialling).
	code, _, errs := runCLI(t, "live", "--rig", liveTwoCameraRig(t), "front_camera=rtsp://user:secret@127.0.0.1:1/x",
		"rear_camera=rtsp://127.0.0.1:1/y", "-o", filepath.Join(dir, "o"))
	if code != exitError || strings.Contains(errs, "secret") || !strings.Contains(errs, "127.0.0.1:1") {
		t.Errorf("unreachable camera: exit %d, %q", code, errs)
	}
}

func truthSensor(t *testing.T, tr *fixtures.Truth, name string) *fixtures.SensorTruth {
	t.Helper()
	for i := range tr.Sensors {
		if tr.Sensors[i].Name == name {
			return &tr.Sensors[i]
		}
	}
	t.Fatalf("no sensor %s in the truth", name)
	return nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestLiveTwoCamerasH264 runs two cameras without a log: an MJPEG camera
// (the reference) and an H.264 camera made by ffmpeg, decoded to JPEG by
// ffmpeg. Every frame must hold both, each stamped within a few ms of
// when its server sent it.
func TestLiveTwoCamerasH264(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for 2 s")
	}
	const w, h = 160, 96
	aus, err := rtsptest.FFmpegVideo(rtsptest.H264, w, h, 25, 50, 10)
	if errors.Is(err, rtsptest.ErrNoFFmpeg) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	jpegs, err := rtsptest.TestJPEGs(w, h, 100)
	if err != nil {
		t.Fatal(err)
	}
	mj, err := rtsptest.Start(rtsptest.Config{Path: "/left", Media: []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 10, JPEGs: jpegs}}, SRPeriod: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer mj.Close()
	hv, err := rtsptest.Start(rtsptest.Config{Path: "/right", Media: []rtsptest.Media{{Codec: rtsptest.H264, FPS: 25, AccessUnits: aus}},
		SRPeriod: 200 * time.Millisecond, NTPStart: time.Now().Add(-3 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer hv.Close()
	rg := rig.Rig{Version: rig.Version, BaseFrame: "base_link"}
	for i, name := range []string{"left", "right"} {
		s := rig.Sensor{Name: name, Modality: "camera", Intrinsics: &rig.Intrinsics{Model: "plumb_bob", Width: w, Height: h, Fx: 80, Fy: 80, Cx: 79.5, Cy: 47.5}}
		s.Extrinsic = &rig.Extrinsic{Translation: []float64{1.5, 0.3 - 0.6*float64(i), 1.4}, RotationXYZW: []float64{-0.5, 0.5, -0.5, 0.5}}
		rg.Sensors = append(rg.Sensors, s)
	}
	dir := t.TempDir()
	rigPath := filepath.Join(dir, "rig.yaml")
	f, err := os.Create(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := rg.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "live")
	code, stdout, errs := runCLI(t, "live", "--rig", rigPath, mj.URL(), "right="+hv.URL(), "--duration", "2500ms", "--max-latency", "500ms", "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("live: exit %d\n%s\n%s", code, stdout, errs)
	}
	var sum liveapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	t.Logf("frames %d, latency %+v, cameras %+v", sum.Frames, sum.Latency, sum.Cameras)
	if sum.Stopped != "duration" || len(sum.Cameras) != 2 || !strings.Contains(sum.Cameras[1].Video, "ffmpeg") || sum.Cameras[1].Clock != "host" {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Frames < 10 {
		t.Fatalf("%d frames in 2.5 s of a 10 fps reference", sum.Frames)
	}
	if sum.Latency.Max > int64(500*time.Millisecond)+sum.MaxCallGapNS+int64(time.Millisecond) {
		t.Errorf("latency %+v, bound 500ms + loop gap %v", sum.Latency, time.Duration(sum.MaxCallGapNS))
	}
	both := 0
	for i := range sum.Frames {
		b, err := os.ReadFile(filepath.Join(out, frames.DirName(i), "frame.json"))
		if err != nil {
			t.Fatal(err)
		}
		var fd liveFrameDoc
		if err := json.Unmarshal(b, &fd); err != nil {
			t.Fatal(err)
		}
		if len(fd.Cameras) == 2 {
			both++
		}
		for _, c := range fd.Cameras {
			srv := mj
			if c.Name == "right" {
				srv = hv
				img, err := os.ReadFile(filepath.Join(out, frames.DirName(i), c.Image))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jpeg.Decode(bytes.NewReader(img)); err != nil {
					t.Fatalf("frame %d: decoded H.264 image: %v", i, err)
				}
			}
			// The stamp (on the host clock) is a send time of that server.
			best := int64(math.MaxInt64)
			for _, s := range srv.Truth() {
				best = min(best, abs64(c.StampNs-s.Host))
			}
			if best > int64(15*time.Millisecond) {
				t.Errorf("frame %d: camera %s stamp %d is %v from any frame its server sent", i, c.Name, c.StampNs, time.Duration(best))
			}
			if off := c.StampNs - fd.StampNs; abs64(off) > int64(50*time.Millisecond) {
				t.Errorf("frame %d: camera %s %v from the frame time", i, c.Name, time.Duration(off))
			}
		}
	}
	// The H.264 camera starts at its first keyframe (up to 0.4 s in).
	if both < sum.Frames-6 {
		t.Errorf("only %d of %d frames have both cameras", both, sum.Frames)
	}
}

// TestLiveReplacesLoggedCamera: a live camera named after a camera the
// --with log recorded (the README's example) takes the log's place
// instead of clashing with it: the log's images of that camera are not
// replayed, the summary says so, and the frames' images of that camera
// are the live server's.
func TestLiveReplacesLoggedCamera(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for 1 s")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	const w, h = 160, 96
	if code, _, errs := runCLI(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1s", "--camera-size", strconv.Itoa(w)+"x"+strconv.Itoa(h), "-q", "-o", log); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	rg, err := logcalib.ReadRig(context.Background(), log, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	rigPath := filepath.Join(dir, "rig.yaml")
	writeRigT(t, rigPath, rg)
	srv := startMJPEG(t, rtsptest.Config{Path: "/stream1", SRPeriod: 200 * time.Millisecond}, w, h, 300)
	out := filepath.Join(dir, "live")
	code, stdout, errs := runCLI(t, "live", "--rig", rigPath, "cam_front="+srv.URL(), "--with", log, "--transport", "tcp",
		"--max-latency", "400ms", "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("live: exit %d\n%s\n%s", code, stdout, errs)
	}
	var sum liveapp.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if sum.Replay == nil || !slices.Equal(sum.Replay.Replaced, []string{"/cam_front/image_raw/compressed"}) {
		t.Fatalf("replay %+v: want /cam_front/image_raw/compressed replaced by the live camera", sum.Replay)
	}
	sent := srv.Truth()
	live := 0
	for i := range sum.Frames {
		b, err := os.ReadFile(filepath.Join(out, frames.DirName(i), "frame.json"))
		if err != nil {
			t.Fatal(err)
		}
		var fd liveFrameDoc
		if err := json.Unmarshal(b, &fd); err != nil {
			t.Fatal(err)
		}
		ci := slices.IndexFunc(fd.Cameras, func(c liveCameraDoc) bool { return c.Name == "cam_front" })
		if ci < 0 {
			continue
		}
		live++
		// The image is one the server sent (not the log's picture).
		checkLiveImage(t, out, i, fd, fd.Cameras[ci], sent, 300, false)
	}
	if sum.Frames == 0 || live < sum.Frames/2 {
		t.Errorf("%d of %d frames have the live cam_front", live, sum.Frames)
	}
}

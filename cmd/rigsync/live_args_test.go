package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rigsync/rigsync/calib/rig"
)

// liveTwoCameraRig is the example rig plus a second camera, rear_camera.
func liveTwoCameraRig(t *testing.T) string {
	t.Helper()
	rg, err := rig.Load(strings.NewReader(rig.Example))
	if err != nil {
		t.Fatal(err)
	}
	front, err := rg.Sensor("front_camera")
	if err != nil {
		t.Fatal(err)
	}
	rear := *front
	rear.Name, rear.Frame, rear.Topic = "rear_camera", "rear_camera_optical", "/camera/rear/image_raw"
	rg.Sensors = append(rg.Sensors, rear)
	path := filepath.Join(t.TempDir(), "rig.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := rg.Write(f); err != nil {
		t.Fatal(err)
	}
	return path
}

// dialCounter is a TCP listener that counts the connections made to it
// (and closes each at once, so a dial fails fast).
func dialCounter(t *testing.T) (addr string, accepts *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepts = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().String(), accepts
}

// TestLiveChecksBeforeDial: every argument error of live is found before
// any camera is dialled (a listener on 127.0.0.1 sees no connection), and
// a valid invocation does dial (the listener works).
func TestLiveChecksBeforeDial(t *testing.T) {
	rigPath := liveTwoCameraRig(t)
	addr, accepts := dialCounter(t)
	url := "rtsp://user:secret@" + addr
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if err := os.Mkdir(full, 0o755); err != nil {
		t.Fatal(err)
	}
	calibWriteFile(t, full, "frame.json", "{}")
	file := calibWriteFile(t, dir, "file", "x")
	bag := calibWriteFile(t, dir, "drive.bag", "#ROSBAG V1.2\n") // a bag format rigsync does not read
	two := []string{"front_camera=" + url + "/a", "rear_camera=" + url + "/b"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"camera named by its URL path is not in the rig", []string{url + "/nope", "front_camera=" + url + "/a"}, exitUsage, `camera "nope"`},
		{"one stream", []string{"front_camera=" + url + "/a"}, exitUsage, "need at least 2"},
		{"sensor twice", []string{"front_camera=" + url + "/a", "front_camera_optical=" + url + "/b"}, exitUsage, "comes twice"},
		{"bad camera name", []string{"front camera=" + url + "/a", "rear_camera=" + url + "/b"}, exitUsage, "front camera"},
		{"unknown --lateness stream", append([]string{"--lateness", "ghost=100ms"}, two...), exitUsage, "ghost"},
		{"bad --lateness", append([]string{"--lateness", "rear_camera"}, two...), exitUsage, "--lateness"},
		{"unknown --reference", append([]string{"--reference", "ghost"}, two...), exitUsage, "ghost"},
		{"--with is a ROS 1.2 bag", append([]string{"--with", bag}, two...), exitError, "ROS 1 bag (format 1.2)"},
		{"output folder not empty", append([]string{"-o", full}, two...), exitError, "not empty"},
		{"output is a file", append([]string{"-o", file}, two...), exitUsage, "is a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := accepts.Load()
			args := append([]string{"live", "--rig", rigPath, "-o", filepath.Join(t.TempDir(), "out"), "-q"}, tc.args...)
			code, _, errs := runCLI(t, args...)
			if code != tc.code || !strings.Contains(errs, tc.want) || strings.Contains(errs, "secret") {
				t.Errorf("exit %d, %q; want exit %d saying %q (and no password)", code, errs, tc.code, tc.want)
			}
			if n := accepts.Load() - before; n != 0 {
				t.Fatalf("a camera was dialled (%d connection(s)) before the argument error", n)
			}
		})
	}
	// Valid arguments: the cameras are dialled (and fail here).
	code, _, errs := runCLI(t, append([]string{"live", "--rig", rigPath, "-o", filepath.Join(dir, "ok"), "-q"}, two...)...)
	if code != exitError || accepts.Load() == 0 {
		t.Errorf("valid arguments: exit %d (%s), %d connection(s); want a dial that fails", code, errs, accepts.Load())
	}
}

package liveapp

import (
	"errors"
	"fmt"
	"github.com/rigsync/rigsync/internal/app/rigfiles"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/live"
)

// cameraPlan is a camera argument as checkBeforeDial resolved it: its
// name (given, or from the URL path as the client names it) and its rig
// frame.
type cameraPlan struct{ name, frame string }

// checkBeforeDial checks everything about a live run that does not
// need a camera, before any camera is dialled: each camera's name (given,
// or from its URL path as the client will name it) is a camera of the rig
// with an extrinsic, no sensor comes twice, there are at least two
// streams, every --lateness and --reference names one of them, and the
// output folder can be used. streams are the --with log's streams; urls
// the camera arguments as [NAME=]URL pairs. It returns each camera's
// resolved name and frame, in the order of urls, for the dial loop.
func checkBeforeDial(o Options, rg *rig.Rig, cal *fusion.Calibration, streams []live.Stream, urls [][2]string) ([]cameraPlan, error) {
	streams = slices.Clone(streams)
	var camNames []string // the cameras' names (not frames), per camera stream
	var plan []cameraPlan
	for _, a := range urls {
		name, err := rtsp.CameraName(a[1], a[0])
		if err != nil {
			return nil, UsageError{fmt.Errorf("live: %w", err)}
		}
		s := rigCamera(rg, name)
		if s == nil {
			how := ""
			if a[0] == "" {
				how = " (named from its URL path); name it NAME=rtsp://..."
			}
			return nil, UsageError{fmt.Errorf("live: camera %q of %s is not a camera of %s%s (have %s)",
				name, rtsp.Redact(a[1]), strings.Join(rigfiles.Split(o.Rig), ","), how, strings.Join(rigCameraNames(rg), ", "))}
		}
		frame := s.Frame
		if frame == "" {
			frame = s.Name
		}
		if _, ok := cal.Extrinsics[frame]; !ok {
			return nil, UsageError{fmt.Errorf("live: camera %s has no extrinsic in %s", name, strings.Join(rigfiles.Split(o.Rig), ","))}
		}
		streams = append(streams, live.Stream{Name: frame, Topic: "/" + name + "/image/compressed", Modality: formats.Camera})
		camNames = append(camNames, name)
		plan = append(plan, cameraPlan{name: name, frame: frame})
	}
	if len(streams) < 2 {
		return nil, UsageError{fmt.Errorf("live: %d stream(s): need at least 2 (cameras, or a camera and --with)", len(streams))}
	}
	names := map[string]string{}
	for _, s := range streams {
		if t, dup := names[s.Name]; dup {
			return nil, UsageError{fmt.Errorf("live: sensor %s comes twice (%s and %s): give the live camera another rig camera's name", s.Name, t, s.Topic)}
		}
		names[s.Name] = s.Topic
	}
	for _, spec := range o.Lateness {
		name, val, ok := strings.Cut(spec, "=")
		d, err := time.ParseDuration(val)
		if !ok || err != nil || d < 0 {
			return nil, UsageError{fmt.Errorf("live: --lateness %q: want NAME=DURATION, e.g. lidar_top=150ms", spec)}
		}
		if !slices.ContainsFunc(streams, func(s live.Stream) bool { return s.Name == name || s.Topic == name }) {
			return nil, UsageError{fmt.Errorf("live: --lateness %q: no stream %s (have %s)", spec, name, streamNames(streams))}
		}
	}
	if o.Reference != "" {
		first := len(streams) - len(camNames)
		found := false
		for i, s := range streams {
			found = found || s.Name == o.Reference || s.Topic == o.Reference || (i >= first && camNames[i-first] == o.Reference)
		}
		if !found {
			return nil, UsageError{fmt.Errorf("live: --reference %q is none of the streams %s", o.Reference, streamNames(streams))}
		}
	}
	if err := checkOutputFolder("live", o.Out, o.Force); err != nil {
		return nil, err
	}
	return plan, nil
}

// replaceLoggedCameras drops from the --with log's streams every camera
// that one of the live cameras (urls: [NAME=]URL pairs) is the same sensor
// of, so the live camera replaces the recorded one instead of clashing
// with it. topicStream (log topic → stream index) is updated in place; the
// dropped log topics are returned. Cameras whose name is not a rig camera
// are left for checkBeforeDial to report.
func replaceLoggedCameras(rg *rig.Rig, streams []live.Stream, topicStream map[string]int, urls [][2]string) ([]live.Stream, []string) {
	liveFrames := map[string]bool{}
	for _, a := range urls {
		name, err := rtsp.CameraName(a[1], a[0])
		if err != nil {
			continue
		}
		if s := rigCamera(rg, name); s != nil {
			frame := s.Frame
			if frame == "" {
				frame = s.Name
			}
			liveFrames[frame] = true
		}
	}
	var kept []live.Stream
	var replaced []string
	index := map[int]int{} // old stream index → new
	for i, s := range streams {
		if s.Modality == formats.Camera && liveFrames[s.Name] {
			replaced = append(replaced, s.Topic)
			continue
		}
		index[i] = len(kept)
		kept = append(kept, s)
	}
	for t, i := range topicStream {
		if j, ok := index[i]; ok {
			topicStream[t] = j
		} else {
			delete(topicStream, t)
		}
	}
	return kept, replaced
}

// checkOutputFolder is the check of the frames writer (a folder that is
// not empty needs --force) made before anything is connected or written.
func checkOutputFolder(cmd, out string, force bool) error {
	st, err := os.Stat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: -o %s: %w", cmd, out, err)
	case !st.IsDir():
		return UsageError{fmt.Errorf("%s: -o %s is a file, want a folder", cmd, out)}
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("%s: -o %s: %w", cmd, out, err)
	}
	if len(ents) > 0 && !force {
		return fmt.Errorf("%s: output folder %s is not empty: %d entries (use --force to write into it)", cmd, out, len(ents))
	}
	return nil
}

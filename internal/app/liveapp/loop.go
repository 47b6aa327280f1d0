package liveapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/replay"
	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/formats/videodec"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/live"
)

// Camera is what the loop needs of a live camera: an *rtsp.Client, or
// frames from memory in a test. Frames carry the capture time (Stamp),
// the receive time (LogTime), the provisional flag and the session.
type Camera interface {
	// Frames delivers the camera's frames until it is closed.
	Frames() <-chan rtsp.Frame
	// Events delivers connection changes and outages.
	Events() <-chan rtsp.Event
	// Stats returns what the camera delivered so far.
	Stats() rtsp.Stats
	// Close stops the camera.
	Close() error
}

var _ Camera = (*rtsp.Client)(nil)

// replaySource is the --with log as the loop reads it: messages on the
// host clock (a *replay.Replayer) and the mapping of their times.
type replaySource interface {
	formats.Source
	// Mapping returns the log → host clock mapping (known after the
	// first Next).
	Mapping() replay.Mapping
}

// camera is one RTSP camera of a run.
type camera struct {
	name, url, frame string
	client           Camera
	mapper           *live.HostMapper
	stream           int
	topic            string
	ignored          int
	session          int
	// pending holds the frames observed while the mapper's offset estimate
	// is not settled yet (the first frames of a host-mapped camera).
	pending []arrival
	// video decodes an H.264/H.265 camera (set by its frame goroutine,
	// read after the loop); videoNote says why it could not.
	video     *liveVideo
	videoNote string
}

// arrival is one message handed to the main loop.
type arrival struct {
	cam         int // camera index, −1 for the replay
	msg         formats.Message
	provisional bool
	session     int
	eof         error // replay ended (io.EOF) or failed
}

// loop feeds a Fuser from the cameras and the replay.
type loop struct {
	fu          *live.Fuser
	cams        []*camera
	replay      replaySource // nil without --with
	cal         *fusion.Calibration
	topicStream map[string]int  // replay topic → stream
	imuTopics   map[string]bool // replay IMU topics
	egoTopics   map[string]bool // replay topics of the ego source
	with        string          // the replayed log's name, for camera-info notes
	say         func(string)
	status      func(Progress) // nil: none
	sum         *Summary
}

// progress is the loop's state for the status line.
func (l *loop) progress() Progress {
	p := Progress{Frames: l.fu.Frames(), DriftPPM: map[string]float64{}}
	for _, c := range l.cams {
		for _, t := range c.client.Stats().Tracks {
			if t.DriftOK {
				p.DriftPPM[c.frame] = t.DriftPPM
			}
			break
		}
	}
	p.Streams = l.fu.Stats(time.Now().UnixNano())
	p.Latency = l.fu.Latency()
	return p
}

// run feeds the fuser until ctx ends or the replay does. It owns the
// fuser; the sources run on their own goroutines and hand messages over a
// bounded channel (a camera client drops frames rather than block).
func (l *loop) run(ctx context.Context) error {
	fu, cams, rp, cal, sum := l.fu, l.cams, l.replay, l.cal, l.sum
	in := make(chan arrival, 256)
	events := make(chan string, 64)
	done := make(chan struct{})
	srcCtx, stopSrc := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		close(done)
		stopSrc()
		wg.Wait() // the replay goroutine must be gone before rp is read or closed
	}()
	send := func(a arrival) bool {
		select {
		case in <- a:
			return true
		case <-done:
			return false
		}
	}
	videoOK := videodec.Available()
	for i, c := range cams {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for {
				var fr rtsp.Frame
				var ok bool
				select {
				case fr, ok = <-c.client.Frames():
				case <-done:
					return
				}
				if !ok {
					return
				}
				a := arrival{cam: i, msg: fr.Msg, provisional: fr.Provisional, session: fr.Session}
				if au, isVideo := fr.Msg.Payload.(*formats.CompressedVideo); isVideo && videoOK == nil {
					if c.video == nil {
						c.video = newLiveVideo(srcCtx, i, au.Format, send)
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-done
							c.video.close()
						}()
					}
					if !c.video.push(a, au) {
						return
					}
					continue
				}
				if isVideoCodec(fr.Codec) && videoOK != nil {
					c.videoNote = videoOK.Error()
				}
				if !send(a) {
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for {
				var ev rtsp.Event
				var ok bool
				select {
				case ev, ok = <-c.client.Events():
				case <-done:
					return
				}
				if !ok {
					return
				}
				var line string
				switch ev.Kind {
				case rtsp.EventGap:
					line = fmt.Sprintf("live: %s: gap of %v", c.name, time.Duration(ev.End-ev.Start).Round(time.Millisecond))
				case rtsp.EventReconnect:
					line = fmt.Sprintf("live: %s: reconnected", c.name)
				case rtsp.EventError:
					line = fmt.Sprintf("live: %s: %v", c.name, ev.Err)
				default:
					continue
				}
				select {
				case events <- line:
				case <-done:
					return
				}
			}
		}()
	}
	if rp != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := rp.Next(srcCtx)
				if err != nil {
					send(arrival{cam: -1, eof: err})
					return
				}
				if !send(arrival{cam: -1, msg: m}) {
					return
				}
			}
		}()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	status := time.NewTicker(time.Second)
	defer status.Stop()
	last := time.Now().UnixNano()
	gap := func(now int64) {
		sum.MaxCallGapNS = max(sum.MaxCallGapNS, now-last)
		sum.MaxHeld = max(sum.MaxHeld, fu.Held())
		last = now
	}
	// flush stamps and pushes a camera's pending frames once its mapper
	// has settled (or at once with force), all with the same offset; the
	// frames this completes are written with ctx.
	flush := func(ctx context.Context, c *camera, now int64, force bool) error {
		if len(c.pending) == 0 || !(force || c.mapper.Settled(now)) {
			return nil
		}
		for _, a := range c.pending {
			m := a.msg
			if !a.provisional {
				m.Stamp = c.mapper.Stamp(m.Stamp)
			}
			if cm, ok := cal.Clocks[c.frame]; ok && c.mapper.Mode() == live.ClockSender && !a.provisional {
				m.Stamp = cm.Correct(m.Stamp)
			}
			m.FrameID = c.frame
			if err := fu.Push(ctx, now, c.stream, live.Input{Msg: m, Provisional: a.provisional}); err != nil {
				return err
			}
		}
		clear(c.pending)
		c.pending = c.pending[:0]
		return nil
	}
	flushAll := func(ctx context.Context, now int64, force bool) error {
		for _, c := range cams {
			if err := flush(ctx, c, now, force); err != nil {
				return err
			}
		}
		return nil
	}
	// Frames are written with wctx: the run's end (Ctrl-C, --duration)
	// stops the loop at its next select, never a frame's write half way
	// (which failed the run with "frame N: context deadline exceeded"
	// when --duration ended during a slow write).
	wctx := context.WithoutCancel(ctx)
	// queued counts the arrivals already in `in` when the run was
	// interrupted (-1 before): they arrived, so they are fused before the
	// loop stops; what the sources send later is not waited for.
	queued := -1
	for {
		select {
		case <-ctx.Done():
			if queued < 0 {
				queued = len(in)
			}
			if queued > 0 {
				continue // the select takes them from in
			}
			sum.Stopped = "interrupted"
			// What has arrived is still fused and written (as Run's final
			// Flush does): the frames' writes must not see the
			// cancellation that ended the run.
			return flushAll(context.WithoutCancel(ctx), time.Now().UnixNano(), true)
		case <-tick.C:
			now := time.Now().UnixNano()
			gap(now)
			if err := flushAll(wctx, now, false); err != nil {
				return err
			}
			if err := fu.Advance(wctx, now); err != nil {
				return err
			}
		case <-status.C:
			if l.status != nil {
				l.status(l.progress())
			}
		case line := <-events:
			l.say(line)
		case a := <-in:
			if queued > 0 {
				queued--
			}
			now := time.Now().UnixNano()
			gap(now)
			if a.cam < 0 {
				if a.eof != nil {
					if errors.Is(a.eof, io.EOF) {
						sum.Stopped = "end of --with"
						return flushAll(wctx, now, true)
					}
					if ctx.Err() != nil {
						sum.Stopped = "interrupted"
						return flushAll(context.WithoutCancel(ctx), now, true)
					}
					return a.eof
				}
				m := a.msg
				if cm, ok := cal.Clocks[m.FrameID]; ok && m.StampClock != formats.ClockLog {
					// The rig's clock model is for the sensor's own clock:
					// apply it on the log's time base, then shift back.
					mp := rp.Mapping()
					m.Stamp = mp.Shift(cm.Correct(mp.Unshift(m.Stamp)))
				}
				if l.imuTopics[m.Topic] {
					fu.AddIMU(m)
					continue
				}
				if l.egoTopics[m.Topic] {
					if err := fu.AddEgo(wctx, now, m); err != nil {
						return err
					}
					continue
				}
				if i, ok := l.topicStream[m.Topic]; ok {
					if err := fu.Push(wctx, now, i, live.Input{Msg: m}); err != nil {
						return err
					}
				} else if ci, ok := m.Payload.(*formats.CameraInfo); ok {
					fu.CameraInfo(m.FrameID, l.with+" topic "+m.Topic, ci)
				}
				continue
			}
			c := cams[a.cam]
			m := a.msg
			if c.topic == "" {
				c.topic = m.Topic
			}
			if m.Topic != c.topic {
				c.ignored++ // a second track of the camera: one stream per camera
				continue
			}
			if a.session != c.session {
				if err := flush(wctx, c, now, true); err != nil { // stamped on the old session's evidence
					return err
				}
				c.session = a.session
				c.mapper.Reset() // a reconnected camera may have stepped its clock
			}
			// The first frames of a host-mapped camera wait (WarmTime at
			// most) for the offset estimate to settle: stamped at once, each
			// would carry its own delivery delay.
			c.mapper.Observe(m.Stamp, m.LogTime, a.provisional)
			c.pending = append(c.pending, a)
			if err := flush(wctx, c, now, false); err != nil {
				return err
			}
		}
	}
}

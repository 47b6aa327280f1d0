// Package rtsp reads live RTSP cameras (MJPEG, H.264, H.265 over TCP or
// UDP) with gortsplib v4.16.2 and stamps every frame with its capture time
// on the camera's clock, taken from RTCP sender reports decoded here per
// RFC 3550.
//
// # Usage
//
//	c, err := rtsp.Dial(ctx, rtsp.Config{URL: "rtsp://user:pass@cam:554/main", Transport: "tcp"})
//	if err != nil { ... }            // first connection failed (credentials redacted)
//	defer c.Close()
//	for f := range c.Frames() { ... } // formats.Message + Provisional
//	// c.Events(): connected / error / reconnect / gap; c.Stats(): fps, bitrate, drift
//
// One Client reads one URL and every MJPEG/H.264/H.265 video track in it
// (other media are ignored). Dial makes the first connection synchronously;
// afterwards the Client reconnects with exponential backoff (Config.Backoff
// doubling to MaxBackoff) whenever the session ends (read timeout, EOF,
// server restart), until Close or the context ends.
//
// # Times and clocks
//
// Every time is int64 ns since the UNIX epoch.
//
//   - Msg.Stamp: capture time = NTP(SR) + (rtp − rtp(SR)) / clock rate,
//     using the newest sender report of the track, RTP timestamps unwrapped
//     to 64 bits (Unwrapper), NTP read per RFC 3550 (NTPToUnixNano: the low
//     32 bits are units of 2^-32 s; gortsplib v4's PacketNTP reads them as
//     ns and is not used). The clock is the camera's wall clock, named
//     formats.SensorClock(name, topic) = "sensor:<name>".
//   - Msg.LogTime: host receive time of the frame's last packet
//     (time.Now in the network callback), on formats.ClockLog.
//   - Msg.PublishTime = Msg.Stamp.
//
// Before a track's first sender report a frame has no capture time. Frames
// are then held for up to Config.HoldForSR (default 500 ms, counted from
// the first held frame; at most Config.HoldBytes per track): if a report arrives in time, the held frames are
// stamped with it and delivered in order, not provisional. Otherwise they
// are released with Provisional = true (Stamp = LogTime, StampClock =
// formats.ClockLog), and from then on that session's frames pass straight
// through, provisional, until the first report; frames already delivered
// are not corrected afterwards. The hold therefore delays at most the start
// of a session, never a session whose camera never sends reports.
// gortsplib v4 servers send their first report 10 s after the stream
// starts; standards-compliant cameras usually much sooner.
//
// The camera clock's drift against the host clock is fitted continuously
// (DriftFit: lower envelope of receive latency, Theil–Sen slope, over the
// last 120 s of stamped frames) and reported by Stats as ppm and offset.
//
// H.264/H.265 access units are delivered from the first one received,
// keyframe or not, in Annex B form; Keyframe marks IDR (H.265: IRAP)
// units, and the session's parameter sets from the SDP are prepended to a
// keyframe that does not carry them in-band, so decoding can start there.
//
// # Threads and queues
//
// gortsplib's packet callbacks run on the network read path (concurrently
// per media over UDP); they only copy the packet and try to put it on a
// bounded queue (Config.PacketQueue), counting a drop when it is full.
// One goroutine per Client depacketizes and stamps, then offers frames to
// Frames() (Config.Queue); a frame the consumer has no room for is dropped
// and counted (TrackStats.DroppedFrames). Nothing on the read path blocks.
//
// # Sessions and gaps
//
// Frame.Session numbers successful connections from 1; RTP timestamps,
// SSRCs and sender reports are only used within one session. When frames
// resume after an outage, an Event{Kind: EventGap} reports the receive
// time of the last frame before and the first frame after it.
//
// # Credentials
//
// The URL's password and secret-looking query values never appear in
// errors, events, logs or Stats: Redact prints a URL safely, and every
// error from gortsplib is scrubbed of the URL's secrets (it does not
// Unwrap, but errors.Is still sees the original chain).
//
// The sibling package rtsptest is an in-process test camera that knows the
// true capture time of every frame it sends.
package rtsp

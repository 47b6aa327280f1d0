package liveapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"sync"
	"sync/atomic"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/formats/videodec"
)

// liveVideo decodes one H.264/H.265 camera into JPEG frames off the main
// loop: access units go to an ffmpeg subprocess (formats/videodec) from
// the first keyframe on, and each decoded picture is paired with the
// oldest access unit still waiting (one picture per access unit, in
// order: cameras send no B-frames), encoded to JPEG and handed on with
// that access unit's stamp. Decoding adds its delay to the camera's
// delivery delay, which the watermark absorbs.
type liveVideo struct {
	ctx     context.Context
	codec   string
	quality int
	send    func(arrival) bool
	cam     int

	// mu guards the decoder's lifetime; the reader never takes it (it
	// must keep reading while push is blocked writing to ffmpeg).
	mu      sync.Mutex
	dec     *videodec.Decoder
	waiting chan arrival // access units sent to ffmpeg, not yet decoded
	readers sync.WaitGroup

	decoded, skipped, failed atomic.Int64
	lastErr                  atomic.Value // string
}

// maxVideoWaiting bounds the access units inside the decoder; beyond it
// new units are skipped until it catches up.
const maxVideoWaiting = 32

func newLiveVideo(ctx context.Context, cam int, codec string, send func(arrival) bool) *liveVideo {
	return &liveVideo{ctx: ctx, codec: codec, quality: 90, send: send, cam: cam}
}

// push takes one access unit; it returns false when the loop has ended.
func (v *liveVideo) push(a arrival, au *formats.CompressedVideo) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dec == nil {
		if !au.Keyframe {
			v.skipped.Add(1) // decoding can only start at a keyframe
			return true
		}
		dec, err := videodec.New(v.ctx, v.codec, videodec.Options{})
		if err != nil {
			v.failed.Add(1)
			v.lastErr.Store(err.Error())
			return true
		}
		v.dec = dec
		v.waiting = make(chan arrival, maxVideoWaiting)
		v.readers.Add(1)
		go v.read(dec, v.waiting)
	}
	select {
	case v.waiting <- a:
	default:
		v.skipped.Add(1) // the decoder is behind: drop rather than block the camera
		return true
	}
	if err := v.dec.Send(au.Data); err != nil {
		v.failed.Add(1)
		v.lastErr.Store(err.Error())
		v.stopLocked() // start again at the next keyframe
	}
	return true
}

// read pairs decoded pictures with waiting access units.
func (v *liveVideo) read(dec *videodec.Decoder, waiting chan arrival) {
	defer v.readers.Done()
	for {
		img, err := dec.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) && v.ctx.Err() == nil {
				v.failed.Add(1)
				v.lastErr.Store(err.Error())
			}
			return
		}
		var a arrival
		select {
		case a = <-waiting:
		default:
			continue // a picture without an access unit: cannot be stamped
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: v.quality}); err != nil {
			continue
		}
		a.msg.Payload = &formats.CompressedImage{Format: "jpeg", Data: buf.Bytes()}
		v.decoded.Add(1)
		if !v.send(a) {
			return
		}
	}
}

func (v *liveVideo) stopLocked() {
	if v.dec != nil {
		v.dec.Close()
		v.dec = nil
	}
}

// close stops ffmpeg and waits for the reader.
func (v *liveVideo) close() {
	v.mu.Lock()
	v.stopLocked()
	v.mu.Unlock()
	v.readers.Wait()
}

// summary says what the decoder did.
func (v *liveVideo) summary() string {
	s := fmt.Sprintf("%s decoded to JPEG by ffmpeg: %d frames, %d skipped (before a keyframe or decoder behind), %d failures",
		v.codec, v.decoded.Load(), v.skipped.Load(), v.failed.Load())
	if e, ok := v.lastErr.Load().(string); ok {
		s += " (last: " + e + ")"
	}
	return s
}

// isVideoCodec says whether frames of the codec need decoding.
func isVideoCodec(codec string) bool { return codec == rtsp.CodecH264 || codec == rtsp.CodecH265 }

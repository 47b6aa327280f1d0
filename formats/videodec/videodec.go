// Package videodec turns H.264 and H.265 access units (Annex B, as
// foxglove CompressedVideo and formats.CompressedVideo carry them) into
// images by piping them through an ffmpeg subprocess.
//
// ffmpeg is optional: rigsync builds and runs without it, and only the
// commands that need pictures from a video stream ask for it. When it is
// missing, [New] and [Available] return [ErrNoFFmpeg], whose message says
// how to install it.
//
// The subprocess reads the elementary stream on stdin (`-f h264` or
// `-f hevc`) and writes every decoded picture as a binary PPM (P6, 8-bit
// RGB) on stdout, with no frame-rate conversion, so pictures come out one
// per access unit, in decode order (streams without B-frames: in capture
// order). Decoding starts at the first keyframe that carries its
// parameter sets; access units before it produce no picture.
package videodec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os/exec"
	"strconv"
	"sync"

	"github.com/rigsync/rigsync/formats/annexb"
	"github.com/rigsync/rigsync/formats/imageconv"
)

// ErrNoFFmpeg is returned when no ffmpeg executable is on PATH.
var ErrNoFFmpeg = errors.New("ffmpeg not found: install it (apt-get install ffmpeg) to turn H.264/H.265 into images")

// Available reports whether ffmpeg can be run: nil, or ErrNoFFmpeg.
func Available() error {
	if _, err := exec.LookPath(binary); err != nil {
		return ErrNoFFmpeg
	}
	return nil
}

// binary is the executable looked up on PATH (a variable for tests).
var binary = "ffmpeg"

// MaxPixels bounds the size of one decoded picture (width × height), so
// that a corrupt header cannot make the reader allocate without limit.
const MaxPixels = 8192 * 8192

// Decoder is one ffmpeg process decoding one stream. Send access units from
// one goroutine and read pictures with Next from another. A picture comes
// out once the next access unit has been sent (ffmpeg's raw-stream parser
// finds the end of an access unit at the start of the next) or after
// CloseSend. Close always, to end the process.
type Decoder struct {
	codec      string
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	frames     chan result
	stderr     *tailBuffer
	done       chan struct{} // closed when the process has exited
	waitErr    error
	closeOnce  sync.Once
	sendMu     sync.Mutex
	sendClosed bool
}

type result struct {
	img *image.RGBA
	err error
}

// Options tune a Decoder.
type Options struct {
	// Threads is ffmpeg's decoder thread count; 0 means 1, the lowest
	// latency (frame threading holds back one picture per thread).
	Threads int
	// Buffer is how many decoded pictures may wait for Next (default 4).
	Buffer int
}

// New starts ffmpeg decoding a stream of the codec ("h264" or "h265").
// The process ends when ctx is done, or at Close.
func New(ctx context.Context, codec string, opts Options) (*Decoder, error) {
	demux := map[string]string{annexb.H264: "h264", annexb.H265: "hevc"}[codec]
	if demux == "" {
		return nil, fmt.Errorf("videodec: unknown codec %q (want %q or %q)", codec, annexb.H264, annexb.H265)
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		return nil, ErrNoFFmpeg
	}
	if opts.Threads <= 0 {
		opts.Threads = 1
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 4
	}
	cmd := exec.CommandContext(ctx, path, "-hide_banner", "-loglevel", "error", "-nostdin",
		"-flags", "low_delay", "-probesize", "32", "-analyzeduration", "0",
		"-threads", strconv.Itoa(opts.Threads), "-f", demux, "-i", "pipe:0",
		"-map", "0:v:0", "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "image2pipe", "-c:v", "ppm", "pipe:1")
	d := &Decoder{codec: codec, cmd: cmd, frames: make(chan result, opts.Buffer),
		stderr: &tailBuffer{max: 4096}, done: make(chan struct{})}
	cmd.Stderr = d.stderr
	if d.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("videodec: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("videodec: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("videodec: start ffmpeg: %w", err)
	}
	go d.read(bufio.NewReaderSize(stdout, 1<<20))
	return d, nil
}

// read parses PPM pictures from ffmpeg's stdout until EOF.
func (d *Decoder) read(r *bufio.Reader) {
	defer close(d.frames)
	var err error
	for {
		var img *image.RGBA
		img, err = readPPM(r)
		if err != nil {
			break
		}
		d.frames <- result{img: img}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	_, _ = io.Copy(io.Discard, r)
	werr := d.cmd.Wait()
	d.waitErr = werr
	close(d.done)
	if err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		d.frames <- result{err: d.wrap(err)}
	}
}

func (d *Decoder) wrap(err error) error {
	if msg := bytes.TrimSpace(d.stderr.Bytes()); len(msg) > 0 {
		return fmt.Errorf("videodec: ffmpeg (%s): %w: %s", d.codec, err, msg)
	}
	return fmt.Errorf("videodec: ffmpeg (%s): %w", d.codec, err)
}

// Send writes one access unit (Annex B) to the decoder. It blocks while
// ffmpeg's input pipe is full, i.e. while decoded pictures wait unread.
func (d *Decoder) Send(au []byte) error {
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	if d.sendClosed {
		return errors.New("videodec: send after CloseSend")
	}
	if _, err := d.stdin.Write(au); err != nil {
		select {
		case <-d.done:
			return d.wrap(fmt.Errorf("ffmpeg exited: %v", d.waitErr))
		default:
		}
		return d.wrap(err)
	}
	return nil
}

// CloseSend ends the input: ffmpeg then flushes the pictures it holds and
// exits, after which Next returns io.EOF.
func (d *Decoder) CloseSend() error {
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	if d.sendClosed {
		return nil
	}
	d.sendClosed = true
	return d.stdin.Close()
}

// Next returns the next decoded picture, io.EOF once ffmpeg has finished
// after CloseSend, or the error ffmpeg exited with (with its message).
func (d *Decoder) Next() (*image.RGBA, error) {
	r, ok := <-d.frames
	if !ok {
		return nil, io.EOF
	}
	return r.img, r.err
}

// Close ends the input, kills ffmpeg if it is still running and waits for
// it. Pictures not yet read are dropped.
func (d *Decoder) Close() error {
	d.closeOnce.Do(func() {
		_ = d.CloseSend()
		select {
		case <-d.done:
		default:
			_ = d.cmd.Process.Kill()
		}
		for range d.frames { // let the reader finish
		}
	})
	return nil
}

// DecodeAll decodes a whole stream of access units and returns its
// pictures.
func DecodeAll(ctx context.Context, codec string, aus [][]byte) ([]*image.RGBA, error) {
	d, err := New(ctx, codec, Options{})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	sendErr := make(chan error, 1)
	go func() {
		var err error
		for _, au := range aus {
			if err = d.Send(au); err != nil {
				break
			}
		}
		if cerr := d.CloseSend(); err == nil {
			err = cerr
		}
		sendErr <- err
	}()
	var out []*image.RGBA
	for {
		img, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		out = append(out, img)
	}
	if err := <-sendErr; err != nil {
		return out, err
	}
	return out, nil
}

// readPPM reads one binary PPM (P6, maxval 255) picture.
func readPPM(r *bufio.Reader) (*image.RGBA, error) {
	magic := make([]byte, 2)
	if _, err := io.ReadFull(r, magic); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated PPM header")
		}
		return nil, err // io.EOF between pictures: the end
	}
	if string(magic) != "P6" {
		return nil, fmt.Errorf("output is not PPM P6 (starts %q)", magic)
	}
	var v [3]int
	for i := range v {
		n, err := ppmInt(r)
		if err != nil {
			return nil, fmt.Errorf("PPM header: %w", err)
		}
		v[i] = n
	}
	w, h, maxval := v[0], v[1], v[2]
	if w <= 0 || h <= 0 || w*h > MaxPixels || maxval != 255 {
		return nil, fmt.Errorf("PPM header: %dx%d maxval %d not supported", w, h, maxval)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	row := make([]byte, 3*w)
	for y := range h {
		if _, err := io.ReadFull(r, row); err != nil {
			return nil, fmt.Errorf("PPM %dx%d: row %d: %w", w, h, y, err)
		}
		imageconv.ToRGBA(img.Pix[y*img.Stride:], row, w, 3, false)
	}
	return img, nil
}

// ppmInt reads a decimal header field, skipping whitespace and comments;
// the single whitespace byte after it is consumed.
func ppmInt(r *bufio.Reader) (int, error) {
	c, err := r.ReadByte()
	for err == nil && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#') {
		if c == '#' {
			_, err = r.ReadBytes('\n')
			if err != nil {
				break
			}
		}
		c, err = r.ReadByte()
	}
	if err != nil {
		return 0, fmt.Errorf("truncated: %w", err)
	}
	n, digits := 0, 0
	for err == nil && c >= '0' && c <= '9' {
		if n > 1<<20 {
			return 0, errors.New("number too large")
		}
		n = n*10 + int(c-'0')
		digits++
		c, err = r.ReadByte()
	}
	if digits == 0 {
		return 0, fmt.Errorf("unexpected byte %q", c)
	}
	if err != nil {
		return 0, fmt.Errorf("truncated: %w", err)
	}
	return n, nil
}

// tailBuffer keeps the last max bytes written (ffmpeg's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.b)
}

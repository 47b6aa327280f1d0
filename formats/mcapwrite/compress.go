package mcapwrite

import (
	"fmt"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// chunkCompressor compresses one chunk's records at a time; Indexed gives
// each worker its own.
type chunkCompressor interface {
	// compress appends src compressed to dst.
	compress(dst, src []byte) ([]byte, error)
}

// newChunkCompressor returns a compressor for comp (nil for none) that
// writes what the mcap library's chunked writer writes at
// CompressionLevelFastest: a zstd stream encoder at SpeedFastest, an lz4
// frame writer at lz4.Fast, both closed after each chunk.
func newChunkCompressor(comp mcap.CompressionFormat) (chunkCompressor, error) {
	switch comp {
	case mcap.CompressionZSTD:
		// One goroutine per encoder: Indexed runs its workers itself. The
		// stream format does not depend on the encoder's concurrency
		// (TestIndexedSameAsLibrary compares with the library's writer).
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("mcapwrite: zstd: %w", err)
		}
		return &zstdCompressor{enc: enc}, nil
	case mcap.CompressionLZ4:
		w := lz4.NewWriter(nil)
		if err := w.Apply(lz4.CompressionLevelOption(lz4.Fast)); err != nil {
			return nil, fmt.Errorf("mcapwrite: lz4: %w", err)
		}
		return &lz4Compressor{w: w}, nil
	}
	return nil, nil
}

// appendWriter is an io.Writer appending to a byte slice.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

type zstdCompressor struct {
	enc *zstd.Encoder
	out appendWriter
}

func (z *zstdCompressor) compress(dst, src []byte) ([]byte, error) {
	z.out.b = dst
	z.enc.Reset(&z.out)
	if _, err := z.enc.Write(src); err != nil {
		return nil, err
	}
	if err := z.enc.Close(); err != nil {
		return nil, err
	}
	b := z.out.b
	z.out.b = nil
	return b, nil
}

type lz4Compressor struct {
	w   *lz4.Writer
	out appendWriter
}

func (l *lz4Compressor) compress(dst, src []byte) ([]byte, error) {
	l.out.b = dst
	l.w.Reset(&l.out)
	if _, err := l.w.Write(src); err != nil {
		return nil, err
	}
	if err := l.w.Close(); err != nil {
		return nil, err
	}
	b := l.out.b
	l.out.b = nil
	return b, nil
}

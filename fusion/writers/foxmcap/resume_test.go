package foxmcap

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

// writeFrames writes frames with a Writer and returns the file.
func writeFrames(t *testing.T, opts Options, frames []*fused.Frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.Write(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestResumeFromOlderVersion resumes from the file of a version that wrote
// the projected points on JSON channels: its messages are not copied into
// the protobuf channels (Recover finds no reusable frame), so the resumed
// file is exactly the one an uninterrupted run writes.
func TestResumeFromOlderVersion(t *testing.T) {
	frames := []*fused.Frame{testFrame(t, 0), testFrame(t, 1), testFrame(t, 2)}
	want := writeFrames(t, Options{}, frames)

	// The same messages, with /cam_front/lidar as the older JSON channel.
	r, err := mcapread.NewReader(bytes.NewReader(want), int64(len(want)), "fused.mcap")
	if err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	ow, err := mcap.NewWriter(&old, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := ow.WriteHeader(&mcap.Header{Library: "rigsync foxmcap"}); err != nil {
		t.Fatal(err)
	}
	written := map[uint16]bool{}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ch := *m.Channel.Channel
		data := m.Data
		if ch.Topic == "/cam_front/lidar" {
			ch.MessageEncoding = "json"
			data = []byte(`{"points":[]}`)
		}
		if !written[ch.ID] {
			written[ch.ID] = true
			sc := *m.Channel.Schema
			sc.ID = ch.ID
			if ch.MessageEncoding == "json" {
				sc.Encoding, sc.Data = "jsonschema", []byte(`{"type":"object"}`)
			}
			ch.SchemaID = sc.ID
			if err := ow.WriteSchema(&sc); err != nil {
				t.Fatal(err)
			}
			if err := ow.WriteChannel(&ch); err != nil {
				t.Fatal(err)
			}
		}
		if err := ow.WriteMessage(&mcap.Message{ChannelID: ch.ID, Sequence: m.Sequence, LogTime: m.LogTime,
			PublishTime: m.PublishTime, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ow.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := Recover(bytes.NewReader(old.Bytes())); err != nil || n != 0 {
		t.Errorf("Recover = %d, %v; want 0 frames to copy", n, err)
	}
	got := writeFrames(t, Options{Resume: bytes.NewReader(old.Bytes())}, frames)
	if !bytes.Equal(got, want) {
		t.Errorf("resumed file differs from the uninterrupted run (%d bytes, want %d)", len(got), len(want))
	}
}

// TestResumeWithOtherTransforms resumes a file written with other
// extrinsics (another calibration, or an older version's /tf with its
// base_link→base_link edge): refused with an error that says so, instead of
// a file whose first frames carry the other transforms.
func TestResumeWithOtherTransforms(t *testing.T) {
	frames := []*fused.Frame{testFrame(t, 0), testFrame(t, 1), testFrame(t, 2)}
	tests := []struct {
		name       string
		prev, next map[string]se3.Transform
		ok         bool
	}{
		{"same calibration", map[string]se3.Transform{"lidar_a": mustT(t, 1, 0, 0, 0, r3.Vec{X: 1})},
			map[string]se3.Transform{"lidar_a": mustT(t, 1, 0, 0, 0, r3.Vec{X: 1})}, true},
		{"other extrinsic", map[string]se3.Transform{"lidar_a": mustT(t, 1, 0, 0, 0, r3.Vec{X: 1})},
			map[string]se3.Transform{"lidar_a": mustT(t, 1, 0, 0, 0, r3.Vec{X: 1.01})}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prev := writeFrames(t, Options{Extrinsics: tc.prev}, frames)
			want := writeFrames(t, Options{Extrinsics: tc.next}, frames)
			cut := prev[:len(prev)*2/3]
			if n, err := Recover(bytes.NewReader(cut)); err != nil || n == 0 {
				t.Fatalf("Recover = %d, %v: the cut leaves no frame to copy", n, err)
			}
			var buf bytes.Buffer
			w, err := New(&buf, Options{Extrinsics: tc.next, Resume: bytes.NewReader(cut)})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range frames {
				if err = w.Write(context.Background(), f); err != nil {
					break
				}
			}
			err = errors.Join(err, w.Close())
			switch {
			case tc.ok && err != nil:
				t.Fatalf("resume: %v", err)
			case tc.ok && !bytes.Equal(buf.Bytes(), want):
				t.Errorf("resumed file differs from the uninterrupted run")
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), "transforms differ")):
				t.Errorf("resume with other extrinsics: err = %v, want the transforms named", err)
			}
		})
	}
}

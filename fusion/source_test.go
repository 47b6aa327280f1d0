package fusion

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// splitLog writes the messages of log into len(names) logs, message i of
// topic T going to file part(T); channels and schemas are written where
// they are used, with ids renumbered per file (so the same topic has
// different channel ids in different files).
func splitLog(tb testing.TB, log []byte, n int, part func(topic string) int) [][]byte {
	tb.Helper()
	r, err := mcapread.NewReader(bytes.NewReader(log), int64(len(log)), "drive.mcap")
	if err != nil {
		tb.Fatal(err)
	}
	bufs := make([]bytes.Buffer, n)
	ws := make([]*mcap.Writer, n)
	for i := range ws {
		if ws[i], err = mcap.NewWriter(&bufs[i], &mcap.WriterOptions{Chunked: true, ChunkSize: 1 << 20, Compression: mcap.CompressionLZ4}); err != nil {
			tb.Fatal(err)
		}
		if err := ws[i].WriteHeader(&mcap.Header{Profile: "ros2"}); err != nil {
			tb.Fatal(err)
		}
	}
	chID := make([]map[string]uint16, n)
	for i := range chID {
		chID[i] = map[string]uint16{}
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		k := part(m.Channel.Topic)
		id, ok := chID[k][m.Channel.Topic]
		if !ok {
			id = uint16(len(chID[k]) + 1)
			chID[k][m.Channel.Topic] = id
			sid := uint16(0)
			if s := m.Channel.Schema; s != nil {
				sid = id
				if err := ws[k].WriteSchema(&mcap.Schema{ID: sid, Name: s.Name, Encoding: s.Encoding, Data: s.Data}); err != nil {
					tb.Fatal(err)
				}
			}
			ch := *m.Channel.Channel
			ch.ID, ch.SchemaID = id, sid
			if err := ws[k].WriteChannel(&ch); err != nil {
				tb.Fatal(err)
			}
		}
		mm := m.Message
		mm.ChannelID = id
		if err := ws[k].WriteMessage(&mm); err != nil {
			tb.Fatal(err)
		}
	}
	out := make([][]byte, n)
	for i := range ws {
		if err := ws[i].Close(); err != nil {
			tb.Fatal(err)
		}
		out[i] = bufs[i].Bytes()
	}
	return out
}

func readers(tb testing.TB, logs [][]byte) []*mcapread.Reader {
	tb.Helper()
	var rs []*mcapread.Reader
	for i, b := range logs {
		r, err := mcapread.NewReader(bytes.NewReader(b), int64(len(b)), []string{"a.mcap", "b.mcap", "c.mcap"}[i])
		if err != nil {
			tb.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

// TestSeveralLogs: a log split in three (camera and camera info; LiDAR
// and /tf_static; the rest), with channel ids renumbered per file, fuses
// to the same frames as the whole log: same stamps, sensors, points,
// cameras and projections.
func TestSeveralLogs(t *testing.T) {
	lf := base1s(t)
	parts := splitLog(t, lf.log, 3, func(topic string) int {
		switch {
		case strings.HasPrefix(topic, "/cam_front"):
			return 0
		case strings.HasPrefix(topic, "/lidar_top"), topic == "/tf_static":
			return 1
		}
		return 2
	})
	whole := run(t, lf, Pipeline{})
	var c collect
	p := Pipeline{Readers: readers(t, parts), Names: []string{"a.mcap", "b.mcap", "c.mcap"}}
	if err := p.Run(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	split := c.frames
	if len(split) != len(whole) || len(whole) == 0 {
		t.Fatalf("%d frames from the split logs, %d from the whole", len(split), len(whole))
	}
	for k := range whole {
		a, b := whole[k], split[k]
		if a.Stamp != b.Stamp || a.EgoSource != b.EgoSource || len(a.Sensors) != len(b.Sensors) || len(a.Cameras) != len(b.Cameras) ||
			a.Lidar.Points.Len() != b.Lidar.Points.Len() || len(a.IMU) != len(b.IMU) {
			t.Fatalf("frame %d differs: stamp %d/%d ego %s/%s sensors %d/%d cameras %d/%d points %d/%d imu %d/%d", k, a.Stamp, b.Stamp,
				a.EgoSource, b.EgoSource, len(a.Sensors), len(b.Sensors), len(a.Cameras), len(b.Cameras), a.Lidar.Points.Len(), b.Lidar.Points.Len(), len(a.IMU), len(b.IMU))
		}
		for i := range a.Sensors {
			if a.Sensors[i] != b.Sensors[i] {
				t.Errorf("frame %d sensor %d: %+v vs %+v", k, i, a.Sensors[i], b.Sensors[i])
			}
		}
		for i := range a.Lidar.Points.X {
			if a.Lidar.Points.X[i] != b.Lidar.Points.X[i] || a.Lidar.Points.Z[i] != b.Lidar.Points.Z[i] {
				t.Fatalf("frame %d point %d differs", k, i)
			}
		}
		for i := range a.Cameras {
			if len(a.Cameras[i].Projected) != len(b.Cameras[i].Projected) || a.Cameras[i].Stamp != b.Cameras[i].Stamp {
				t.Errorf("frame %d camera %d: %d vs %d projections", k, i, len(a.Cameras[i].Projected), len(b.Cameras[i].Projected))
			}
		}
	}
}

// TestMergedOrder: the run's message stream (Pipeline's logs, each read
// by mcapsource, merged by formats.Merge) is what MergeReaders, the merge
// it replaced, yielded: every message of every log once, ordered by log
// time with ties to the earlier log (a stable sort of the logs one after
// the other), and From names the log each came from.
func TestMergedOrder(t *testing.T) {
	lf := base1s(t)
	parts := splitLog(t, lf.log, 2, func(topic string) int {
		if strings.HasPrefix(topic, "/imu") {
			return 0
		}
		return 1
	})
	// The whole log between its parts: each of its messages ties with a
	// message of a part.
	rs := readers(t, [][]byte{parts[0], lf.log, parts[1]})
	type key struct {
		log   int
		topic string
		t     uint64
		seq   uint32
	}
	var want []key
	for i, r := range rs {
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
			want = append(want, key{i, m.Channel.Topic, m.LogTime, m.Sequence})
		}
	}
	slices.SortStableFunc(want, func(a, b key) int { return cmp.Compare(a.t, b.t) })

	// A run that wants every topic.
	rn := &runner{p: &Pipeline{Names: []string{"imu.mcap", "whole.mcap", "rest.mcap"}}, index: map[string]int{}}
	for _, r := range rs {
		for _, ch := range r.Channels() {
			rn.index[ch.Topic] = 0
		}
	}
	var lgs []*logfile.Log
	for i, r := range rs {
		lgs = append(lgs, logfile.FromMCAP(r, rn.p.Names[i]))
	}
	it, err := rn.messages(lgs)
	if err != nil {
		t.Fatal(err)
	}
	var got []key
	ctx := context.Background()
	for {
		msg, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, key{it.From(), msg.Topic, uint64(msg.LogTime), msg.Sequence})
	}
	// Every message of the fixture decodes: none is left out.
	if len(got) != len(want) {
		t.Fatalf("%d messages merged, want %d", len(got), len(want))
	}
	ties := 0
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("message %d: got %+v, want %+v", i, got[i], want[i])
		}
		if i > 0 && want[i].t == want[i-1].t && want[i].log != want[i-1].log {
			ties++
		}
	}
	if ties == 0 {
		t.Error("no tie between logs: the test does not check the tie order")
	}
	for _, l := range []int{0, 1, 2} {
		if !slices.ContainsFunc(got, func(k key) bool { return k.log == l }) {
			t.Errorf("no message from log %d", l)
		}
	}
}

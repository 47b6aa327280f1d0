package rosbag1_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/rigsync/rigsync/formats/rosbag1"
)

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	pos int64
}

func (m *memFile) Write(p []byte) (int, error) {
	if end := m.pos + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += int64(len(p))
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.pos = off
	case io.SeekCurrent:
		m.pos += off
	case io.SeekEnd:
		m.pos = int64(len(m.b)) + off
	}
	return m.pos, nil
}

const (
	stringDef = "string data\n"
	stringMD5 = "992ce8a1687cec8c8bd883ec73ca41d1"
	pointDef  = `std_msgs/Header header
geometry_msgs/Point point

================================================================================
MSG: std_msgs/Header
uint32 seq
time stamp
string frame_id

================================================================================
MSG: geometry_msgs/Point
float64 x
float64 y
float64 z
`
	pointMD5 = "c63aecb41bfdfd6b7e1fac37c7cbe7bf"
)

// rosString is a std_msgs/String in ROS 1 serialization.
func rosString(s string) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(s))), s...)
}

// rosPoint is a geometry_msgs/PointStamped in ROS 1 serialization.
func rosPoint(seq uint32, stamp int64, frame string, x, y, z float64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(stamp/1e9))
	b = binary.LittleEndian.AppendUint32(b, uint32(stamp%1e9))
	b = append(binary.LittleEndian.AppendUint32(b, uint32(len(frame))), frame...)
	for _, v := range []float64{x, y, z} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// synthBag writes a bag of n rounds: /points (PointStamped, frame
// "lidar", stamp 2 ms before the record time) every 10 ms, and /chatter
// (String) from two publishers (two connections on one topic)
// alternately. Record times start at 1700000000 s.
func synthBag(t testing.TB, compression string, chunkSize, n int) []byte {
	t.Helper()
	var f memFile
	w, err := rosbag1.NewWriter(&f, rosbag1.WriterOptions{Compression: compression, ChunkSize: chunkSize})
	if err != nil {
		t.Fatal(err)
	}
	pts, err := w.AddConnection(rosbag1.Connection{Topic: "/points", Type: "geometry_msgs/PointStamped", MD5Sum: pointMD5,
		MessageDefinition: pointDef, CallerID: "/lidar_driver"})
	if err != nil {
		t.Fatal(err)
	}
	var chat [2]uint32
	for i, node := range []string{"/node_a", "/node_b"} {
		if chat[i], err = w.AddConnection(rosbag1.Connection{Topic: "/chatter", Type: "std_msgs/String", MD5Sum: stringMD5,
			MessageDefinition: stringDef, CallerID: node, Latching: i == 1}); err != nil {
			t.Fatal(err)
		}
	}
	const t0 = int64(1700000000e9)
	for i := range n {
		tt := t0 + int64(i)*10e6
		if err := w.WriteMessage(pts, tt, rosPoint(uint32(i), tt-2e6, "lidar", float64(i), -float64(i), 0.5)); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteMessage(chat[i%2], tt+1e6, rosString(fmt.Sprintf("hello %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return f.b
}

// rec is one message as read: topic, connection id, time and data.
type rec struct {
	topic string
	conn  uint32
	t     int64
	data  string
}

// readAll reads every message of a bag in memory, and its warnings.
func readAll(t testing.TB, b []byte, opts rosbag1.Options) ([]rec, *rosbag1.Reader, error) {
	t.Helper()
	r, err := rosbag1.NewReader(bytes.NewReader(b), int64(len(b)), "mem.bag")
	if err != nil {
		return nil, nil, err
	}
	it, err := r.Messages(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []rec
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			return out, r, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec{m.Conn.Topic, m.Conn.ID, m.LogTime, string(m.Data)})
	}
}

package formats_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rigsync/rigsync/formats"
)

// slice is the smallest Source: messages held in memory.
type slice []formats.Message

func (s *slice) Next(ctx context.Context) (formats.Message, error) {
	if len(*s) == 0 {
		return formats.Message{}, io.EOF
	}
	m := (*s)[0]
	*s = (*s)[1:]
	return m, nil
}

// Two logs of one drive, an IMU log and a camera log, read as one stream
// in log-time order. The camera message logged at the same time as an
// IMU message comes second: ties go to the earlier source.
func ExampleMerge() {
	imu := &slice{{Topic: "/imu", LogTime: 100}, {Topic: "/imu", LogTime: 200}, {Topic: "/imu", LogTime: 300}}
	cam := &slice{{Topic: "/cam", LogTime: 150}, {Topic: "/cam", LogTime: 300}}
	m := formats.Merge(imu, cam)
	ctx := context.Background()
	for {
		msg, err := m.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(msg.LogTime, msg.Topic, "from source", m.From())
	}
	// Output:
	// 100 /imu from source 0
	// 150 /cam from source 1
	// 200 /imu from source 0
	// 300 /imu from source 0
	// 300 /cam from source 1
}

package rtsp_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rigsync/rigsync/formats/rtsp"
	"github.com/rigsync/rigsync/formats/rtsp/rtsptest"
)

func ExampleDial() {
	// A test camera whose clock reads 2024-03-01 12:00 at its first frame.
	jpegs, _ := rtsptest.TestJPEGs(64, 48, 4)
	cam, err := rtsptest.Start(rtsptest.Config{
		NTPStart: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
		SRPeriod: 100 * time.Millisecond,
		Media:    []rtsptest.Media{{Codec: rtsptest.MJPEG, FPS: 30, JPEGs: jpegs}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cam.Close()

	c, err := rtsp.Dial(context.Background(), rtsp.Config{URL: cam.URL(), Transport: "tcp"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	f := <-c.Frames()
	fmt.Println(f.Msg.Topic, f.Msg.StampClock, f.Provisional)
	fmt.Println(time.Unix(0, f.Msg.Stamp).UTC().Format("2006-01-02 15:04"))
	// Output:
	// /cam/image/compressed sensor:cam false
	// 2024-03-01 12:00
}

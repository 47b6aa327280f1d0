package liveapp_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rigsync/rigsync/fusion/live"
	"github.com/rigsync/rigsync/internal/app/liveapp"
)

// Run checks every argument before it opens a file or dials a camera; a
// wrong invocation is a UsageError (rigsync live exits 2 on it).
func ExampleRun() {
	_, err := liveapp.Run(context.Background(), liveapp.Options{
		Rig:         []string{"rig.yaml"},
		Out:         "live",
		Speed:       1,
		MaxLatency:  300 * time.Millisecond,
		Tolerance:   50 * time.Millisecond,
		CameraClock: live.ClockAuto,
		Cameras:     []string{"http://10.0.0.21/cam/front"},
	})
	var usage liveapp.UsageError
	fmt.Println(errors.As(err, &usage))
	fmt.Println(err)
	// Output:
	// true
	// live: argument "http://10.0.0.21/cam/front" is not an rtsp:// URL
}

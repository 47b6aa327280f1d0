//go:build !unix

package main

import (
	"os"
	"time"
)

// maxRSSKB is -1: peak RSS is read only on Unix.
func maxRSSKB(*os.ProcessState) int64 { return -1 }

// cpuTime is 0: CPU time is read only on Unix.
func cpuTime() time.Duration { return 0 }

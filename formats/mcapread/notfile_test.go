package mcapread

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Open refuses a named pipe from its stat, without opening it: opening a
// FIFO that no process writes would block forever.
func TestOpenFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "log.mcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Open(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		var ne *NotRegularError
		if !errors.As(err, &ne) || ne.Path != fifo {
			t.Errorf("Open(FIFO) = %v, want a *NotRegularError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open blocked on a FIFO without a writer") // the goroutine stays blocked: the test binary ends anyway
	}
}

package calibio

import (
	"bytes"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the format detector and every reader:
// they must return an error or a calibration, never panic or hang, and a
// calibration read must be writable in its own format and read back.
func FuzzRead(f *testing.F) {
	f.Add([]byte("P2: 700 0 600 40 0 700 180 0 0 0 1 0.003\nTr: 1 0 0 0 0 1 0 0 0 0 1 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Read(b)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, c, c.Format); err != nil {
			return
		}
		if _, err := ReadFormat(buf.Bytes(), c.Format, ""); err != nil {
			t.Fatalf("%s: wrote what it cannot read back: %v\n%s", c.Format, err, buf.String())
		}
	})
}

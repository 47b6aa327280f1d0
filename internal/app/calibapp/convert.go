package calibapp

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/internal/atomicfile"
)

// FormatList is the calibration formats Convert writes (calibio.Formats),
// comma separated, for help texts and errors.
func FormatList() string {
	s := make([]string, len(calibio.Formats))
	for i, f := range calibio.Formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// ConvertOptions are the settings of Convert (the flags of "calib
// convert").
type ConvertOptions struct {
	// To is the format to write, one of calibio.Formats.
	To string
	// Out is the file to write; "" writes to Convert's w.
	Out string
	// Camera, when set, writes only that camera's intrinsics.
	Camera string
}

// Convert reads the calibration file in (format detected) and writes it in
// the format o.To, to the file o.Out or, without one, to w. An unknown
// format is a UsageError. A format that cannot hold the calibration is an
// error, and a refused conversion leaves an existing o.Out as it was.
func Convert(w io.Writer, in string, o ConvertOptions) error {
	f := calibio.Format(o.To)
	if !slices.Contains(calibio.Formats, f) {
		return UsageError{fmt.Errorf("calib convert: --to %q: want one of %s", o.To, FormatList())}
	}
	c, err := calibio.ReadFile(in)
	if err != nil {
		return err
	}
	if o.Camera != "" {
		cam, err := c.Camera(o.Camera)
		if err != nil {
			return err
		}
		c = &calibio.Calibration{Format: c.Format, Cameras: []calibio.Camera{cam}}
	}
	if o.Out == "" {
		return calibio.Write(w, c, f)
	}
	return atomicfile.Write(o.Out, func(w io.Writer) error { return calibio.Write(w, c, f) })
}

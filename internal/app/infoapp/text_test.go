package infoapp_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/internal/app/infoapp"
)

// WriteText prints the header, the channel table, the TF tree, the camera
// calibrations and the problems of a report.
func TestWriteText(t *testing.T) {
	path, err := writeLog(t.TempDir(), time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := infoapp.Run(context.Background(), infoapp.Options{MaxScan: -1}, path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	infoapp.WriteText(&buf, rep)
	text := buf.String()
	for _, want := range []string{"file:      " + path + " (", " MiB)\n", "summary:   complete=true, analysis=full\n",
		"\nTOPIC ", "/lidar_top/points ", "\nTF tree (T_parent_child; rotation quaternion w,x,y,z):\n  base_link → cam_front  static  /tf_static", "  base_link → lidar_top  static  /tf_static",
		"\nCamera calibrations:\n  /cam_front/camera_info  cam_front  480x300", "\nNo problems found.\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	rep = &inspect.Report{File: "x.mcap", SizeBytes: 1000, Problems: []inspect.Problem{{Severity: "warning", Kind: "gap", Topic: "/a", Message: "m"}}}
	buf.Reset()
	infoapp.WriteText(&buf, rep)
	for _, want := range []string{"file:      x.mcap (1000 B)\n", "profile:   -   library: -\n",
		"\nProblems: 0 error(s), 1 warning(s)\n  warning [gap] /a: m\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}

package fuseapp_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

func TestFlagsOptions(t *testing.T) {
	cases := []struct {
		name    string
		flags   fuseapp.Flags
		wantErr string
	}{
		{"no output", fuseapp.Flags{}, "fuse: -o OUT is required"},
		{"bad clock", fuseapp.Flags{Out: "o", Clocks: []string{"cam"}}, `--clock "cam": want NAME=OFFSET[,PPM] or auto`},
		{"bad clock model", fuseapp.Flags{Out: "o", Clocks: []string{"cam=x"}}, `--clock "cam=x": `},
		{"bad latency", fuseapp.Flags{Out: "o", Latencies: []string{"cam=-1s"}}, `--latency "cam=-1s": want NAME=DURATION (e.g. cam_front=30ms)`},
		{"latency without auto", fuseapp.Flags{Out: "o", Latencies: []string{"cam=1s"}}, "fuse: --latency is used by --clock auto; add --clock auto"},
		// the latency is checked before the origin, as fuse always did
		{"latency before origin", fuseapp.Flags{Out: "o", Latencies: []string{"cam=1s"}, GNSSOrigin: "x"}, "fuse: --latency is used by --clock auto; add --clock auto"},
		{"scale without rig", fuseapp.Flags{Out: "o", ScaleIntr: true}, "fuse: --scale-intrinsics scales the intrinsics of --rig rig.yaml; add --rig"},
		{"origin of two numbers", fuseapp.Flags{Out: "o", GNSSOrigin: "1,2"}, `--gnss-origin "1,2": want LAT,LON,ALT in degrees, degrees and metres`},
		{"latitude beyond 90", fuseapp.Flags{Out: "o", GNSSOrigin: "91,0,0"}, `--gnss-origin "91,0,0": want LAT,LON,ALT in degrees, degrees and metres`},
		{"NaN origin", fuseapp.Flags{Out: "o", GNSSOrigin: "NaN,0,0"}, `--gnss-origin "NaN,0,0": want LAT,LON,ALT in degrees, degrees and metres`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.flags.Options()
			if err == nil || len(err.Error()) < len(c.wantErr) || err.Error()[:len(c.wantErr)] != c.wantErr {
				t.Fatalf("error %v, want %q…", err, c.wantErr)
			}
			if _, ok := errors.AsType[fuseapp.UsageError](err); !ok {
				t.Errorf("%v is not a UsageError", err)
			}
		})
	}
	o, err := fuseapp.Flags{Out: "o", Clocks: []string{"auto", "cam=25ms,3"}, Latencies: []string{"cam=30ms"},
		GNSSOrigin: "48.1, 11.5, 519", Workers: 2}.Options()
	if err != nil {
		t.Fatal(err)
	}
	if !o.AutoClock || o.Clocks["cam"].Offset != int64(25*time.Millisecond) || o.Clocks["cam"].DriftPPM != 3 ||
		o.Latency["cam"] != 30*time.Millisecond || o.GNSSOrigin == nil || o.GNSSOrigin.Alt != 519 || o.Workers != 2 {
		t.Errorf("options %+v", o)
	}
}

// ParseClocks takes known clock models by sensor name, and "auto".
func ExampleParseClocks() {
	models, auto, err := fuseapp.ParseClocks([]string{"cam_front=-25ms", "lidar_top=0s,80", "auto"})
	fmt.Println(models["cam_front"].Offset, models["lidar_top"].DriftPPM, auto, err)
	// Output: -25000000 80 true <nil>
}

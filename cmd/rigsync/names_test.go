package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLongSensorNameFusesIntoEveryFormat (issue 17 item 5): a camera whose
// name (frame id, topic) is 1,000 characters long fuses into every format
// (nuScenes failed with "file name too long"); its nuScenes channel is cut
// to 100 bytes.
func TestLongSensorNameFusesIntoEveryFormat(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("c", 1000)
	rg := map[string]any{}
	for k, v := range escRig {
		rg[k] = v
	}
	cam := map[string]any{}
	for k, v := range escRig["cameras"].([]any)[0].(map[string]any) {
		cam[k] = v
	}
	cam["name"] = long
	rg["cameras"] = []any{cam}
	lidar := map[string]any{}
	for k, v := range escRig["lidars"].([]any)[0].(map[string]any) {
		lidar[k] = v
	}
	lidar["name"] = "lidar_top"
	rg["lidars"] = []any{lidar}
	imu := map[string]any{}
	for k, v := range escRig["imu"].(map[string]any) {
		imu[k] = v
	}
	imu["name"] = "imu"
	rg["imu"] = imu
	b, _ := json.Marshal(rg)
	rigPath := filepath.Join(dir, "rig.json")
	if err := os.WriteFile(rigPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "long.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--rig", rigPath, "--duration", "1s", "-o", log, "-q"); code != exitOK {
		t.Fatalf("fixtures: %s", errs)
	}
	for _, f := range []string{"nuscenes", "frames", "mcap", "kitti", "cvat", "segments", "xtreme1"} {
		out := filepath.Join(dir, "out_"+f)
		if code, _, errs := runCLI(t, "fuse", log, "--format", f, "-o", out, "-q"); code != exitOK {
			t.Errorf("fuse --format %s: exit %d: %.300s", f, code, errs)
		}
	}
	chans, _ := os.ReadDir(filepath.Join(dir, "out_nuscenes", "samples"))
	found := false
	for _, c := range chans {
		if strings.HasPrefix(c.Name(), "CCCC") {
			found = len(c.Name()) == 100
		}
	}
	if !found {
		t.Errorf("no 100-byte channel folder for the long camera in %v", chans)
	}
}

package rig

import (
	"fmt"
	"strings"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/tftree"
)

// FromLog drafts a rig from what a log carries (formats/logcalib reads
// it): tree, its static transforms; cameras, its camera calibrations in
// log order; sensors, one per data channel with Topic, Modality and Frame
// set. Each sensor is named by its frame id (or topic), gets the
// intrinsics of the camera calibration in the same frame and the
// extrinsic T_base_sensor looked up in tree. What it cannot find is listed
// in each sensor's Missing ("intrinsics", "extrinsic", "frame"); the clock
// model is always listed, since a log alone does not give it. tree must
// not be nil.
func FromLog(tree *tftree.Tree, cameras []calibio.Camera, sensors []Sensor, baseFrame string) *Rig {
	rg := &Rig{Version: Version, BaseFrame: baseFrame}
	used := map[string]int{}
	for _, s := range sensors {
		s.Name = s.Frame
		if s.Name == "" {
			s.Name = strings.Trim(strings.ReplaceAll(s.Topic, "/", "_"), "_")
			s.Missing = append(s.Missing, "frame")
		}
		if used[s.Name]++; used[s.Name] > 1 {
			s.Name = fmt.Sprintf("%s_%d", s.Name, used[s.Name])
		}
		if s.Modality == "camera" {
			found := false
			for _, c := range cameras {
				if c.Frame != "" && c.Frame == s.Frame || strings.TrimSuffix(c.Name, "camera_info") == strings.TrimSuffix(s.Topic, lastElem(s.Topic)) {
					s.Intrinsics = IntrinsicsFrom(c)
					found = true
					break
				}
			}
			if !found {
				s.Missing = append(s.Missing, "intrinsics")
			}
		}
		if s.Frame != "" {
			if T, err := tree.Lookup(baseFrame, s.Frame, tftree.Latest); err == nil {
				s.SetT(T)
			} else {
				s.Missing = append(s.Missing, "extrinsic")
			}
		} else {
			s.Missing = append(s.Missing, "extrinsic")
		}
		s.Missing = append(s.Missing, "clock")
		rg.Sensors = append(rg.Sensors, s)
	}
	return rg
}

func lastElem(topic string) string {
	if i := strings.LastIndexByte(topic, '/'); i >= 0 {
		return topic[i+1:]
	}
	return topic
}

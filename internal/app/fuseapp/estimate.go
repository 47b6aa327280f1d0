package fuseapp

import (
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/fusion"
)

// FrameEstimate is the total of fuse's progress bar: the number of
// frames the run will write, one per message of the reference LiDAR (the
// --reference topic, else the LiDAR channel the pipeline picks: the first
// log's lowest channel id), counted in the logs' statistics (summed over
// the logs that hold the topic). It returns −1 when no reference LiDAR is
// found (the bar is then a counter without a total).
func FrameEstimate(readers []*logfile.Log, cal *fusion.Calibration, reference string) int64 {
	topic := reference
	if topic == "" {
		// The pipeline's rule: the LiDAR with the lowest (log index,
		// channel id), the modality from the calibration when it knows
		// the topic, else from the schema.
		best := uint32(0)
		found := false
		for li, r := range readers {
			for _, ch := range r.Catalog() {
				mod := ch.Modality
				if cal != nil {
					if s, ok := cal.Sensors[ch.Topic]; ok {
						mod = s.Modality
					}
				}
				id := uint32(li)<<16 | uint32(ch.Order)
				if mod == formats.Lidar && (!found || id < best) {
					topic, best, found = ch.Topic, id, true
				}
			}
		}
		if !found {
			return -1
		}
	}
	var n uint64
	found := false
	for _, r := range readers {
		for _, ch := range r.Catalog() {
			if ch.Topic != topic {
				continue
			}
			found = true
			n += uint64(max(ch.Count, 0))
		}
	}
	if !found {
		return -1
	}
	return int64(n)
}

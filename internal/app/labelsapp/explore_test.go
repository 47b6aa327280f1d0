package labelsapp

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fusion/labelcheck"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	var faults []string
	if f := os.Getenv("FAULTS"); f != "" {
		faults = strings.Split(f, " ")
	}
	seed := uint64(1)
	if os.Getenv("SEED") == "2" {
		seed = 2
	}
	log, lp, _, truth, lft := genLabelled(t, os.Getenv("EXPLORE"), seed, 3*time.Second, false, faults...)
	for _, f := range lft {
		t.Logf("fault %s obj %s frames %v", f.Kind, f.ID, f.Frames)
	}
	res, err := Run(context.Background(), Options{Logs: []string{log}, Labels: lp, Check: labelcheck.Options{KeepOK: true}})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range lft {
		ids[f.ID] = true
		ids[f.OtherID] = true
	}
	_ = truth
	for _, f := range res.Findings {
		if !ids[f.ID] && f.ID != "" {
			continue
		}
		t.Logf("%d %s %s %s pts=%d r=%.1f v=%.1f off=%.2f,%.2f,%.2f yaw=%.2f dt=%v %v", f.Frame, f.ID, f.Class, f.Verdict, f.Points, f.Range, f.Speed, f.Offset[0], f.Offset[1], f.Offset[2], f.YawErrDeg, ptr(f.TimeOffsetNS), f.Reasons)
	}
}

func ptr(p *int64) float64 {
	if p == nil {
		return 0
	}
	return float64(*p) / 1e6
}

package fuseapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// TestNoProjections: --no-projections leaves out exactly the projections:
// no .proj.bin sidecar (frame.json's projection is null) in frames, no
// /<camera>/lidar ImageAnnotations in the MCAP, every other file and
// channel as with projections; the resume record says so.
func TestNoProjections(t *testing.T) {
	dir := t.TempDir()
	log := mustLog(t, time.Second)
	run := func(format, out string, noProj bool) {
		t.Helper()
		o := options(filepath.Join(dir, out))
		o.Format, o.NoProjections = format, noProj
		if _, err := fuseapp.Run(context.Background(), o, []string{log}); err != nil {
			t.Fatal(err)
		}
	}
	run("frames", "with", false)
	run("frames", "without", true)
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(root, p)
				out[rel] = b
			}
			return err
		})
		return out
	}
	with, without := files(filepath.Join(dir, "with")), files(filepath.Join(dir, "without"))
	nproj := 0
	for name, b := range with {
		switch {
		case strings.HasSuffix(name, ".proj.bin"):
			nproj++
			if _, ok := without[name]; ok {
				t.Errorf("--no-projections wrote %s", name)
			}
		case strings.HasSuffix(name, ".jpg"), strings.HasSuffix(name, ".pcd"):
			if !bytes.Equal(without[name], b) {
				t.Errorf("%s differs without projections", name)
			}
		case strings.HasSuffix(name, "frame.json"):
			var doc struct {
				Cameras []struct {
					Projection *struct{ File string } `json:"projection"`
				} `json:"cameras"`
			}
			if err := json.Unmarshal(without[name], &doc); err != nil || len(doc.Cameras) == 0 {
				t.Fatalf("%s: %v, %d cameras", name, err, len(doc.Cameras))
			}
			for _, c := range doc.Cameras {
				if c.Projection != nil {
					t.Errorf("%s: a camera names projection %q", name, c.Projection.File)
				}
			}
		}
	}
	if nproj == 0 {
		t.Fatal("the run with projections wrote no .proj.bin")
	}
	// The resume record tells the two runs apart (and records nothing
	// new for a run with projections, so older records stay valid).
	o := options(filepath.Join(dir, "x"))
	recWith, err := fuseapp.NewRunRecord(context.Background(), o, []string{log})
	if err != nil {
		t.Fatal(err)
	}
	o.NoProjections = true
	recWithout, err := fuseapp.NewRunRecord(context.Background(), o, []string{log})
	if err != nil {
		t.Fatal(err)
	}
	if recWithout.Options["no-projections"] != "true" || len(recWithout.Compare(recWith)) == 0 {
		t.Errorf("record without projections: %v (differences %v)", recWithout.Options, recWithout.Compare(recWith))
	}
	if _, ok := recWith.Options["no-projections"]; ok {
		t.Errorf("record with projections names no-projections: %v", recWith.Options)
	}

	run("mcap", "with.mcap", false)
	run("mcap", "without.mcap", true)
	counts := func(path string) map[string]int {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := mcap.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		it, err := r.Messages(mcap.UsingIndex(false))
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for {
			_, ch, _, err := it.NextInto(nil)
			if err == io.EOF {
				return n
			}
			if err != nil {
				t.Fatal(err)
			}
			n[ch.Topic]++
		}
	}
	cw, co := counts(filepath.Join(dir, "with.mcap")), counts(filepath.Join(dir, "without.mcap"))
	lidarProj := 0
	for topic, n := range cw {
		if strings.Count(topic, "/") == 2 && strings.HasSuffix(topic, "/lidar") {
			lidarProj++
			if co[topic] != 0 {
				t.Errorf("--no-projections wrote %d messages on %s", co[topic], topic)
			}
			continue
		}
		if co[topic] != n {
			t.Errorf("%s: %d messages without projections, %d with", topic, co[topic], n)
		}
	}
	if lidarProj == 0 {
		t.Fatalf("no projection channel with projections: %v", cw)
	}
}

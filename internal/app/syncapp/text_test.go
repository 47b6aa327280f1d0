package syncapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/internal/app/syncapp"
)

// WriteJSON streams one object per set under "sets", then the report's
// fields; WriteText prints the same report as a table and lines.
func TestWriteJSONAndText(t *testing.T) {
	path, err := writeMinimal(t.TempDir(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o := syncapp.Options{Topics: []string{lidarTopic, camTopic}, Policy: "reference", Reference: lidarTopic, Attach: []string{imuTopic}}
	lg, err := syncapp.Read(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep, err := syncapp.WriteJSON(&buf, lg, o)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sets   []map[string]json.RawMessage `json:"sets"`
		Policy string                       `json:"policy"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, buf.String())
	}
	if len(doc.Sets) != rep.Sets || rep.Sets == 0 || doc.Policy != "reference" {
		t.Fatalf("%d sets in the JSON, report %d, policy %q", len(doc.Sets), rep.Sets, doc.Policy)
	}
	for _, s := range doc.Sets {
		if len(s) != 3 || s[imuTopic][0] != '[' || s[lidarTopic][0] == '[' {
			t.Fatalf("set %v: want the 2 grouped stamps and the attached IMU array", s)
		}
	}
	buf.Reset()
	syncapp.WriteText(&buf, rep)
	text := buf.String()
	for _, want := range []string{"policy:  reference, queue size", "(reference " + lidarTopic + ")", "\nTOPIC ", "\n" + lidarTopic + " ",
		"attached: " + imuTopic + ": "} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

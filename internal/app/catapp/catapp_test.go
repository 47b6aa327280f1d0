package catapp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/internal/app/catapp"
)

// writeLog generates d of the minimal fixture rig into dir/drive.mcap.
func writeLog(dir string, d time.Duration) (string, error) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		return "", err
	}
	cfg.Duration = d
	p := filepath.Join(dir, "drive.mcap")
	lf, err := os.Create(p)
	if err != nil {
		return "", err
	}
	defer lf.Close()
	tf, err := os.Create(filepath.Join(dir, "drive.truth.json"))
	if err != nil {
		return "", err
	}
	defer tf.Close()
	return p, fixtures.Generate(context.Background(), cfg, lf, tf, nil)
}

func TestParseLogTime(t *testing.T) {
	cases := []struct {
		in      string
		base    int64
		want    int64
		wantErr bool
	}{
		{"", 5, 0, false},
		{"1700000000000000000", 0, 1700000000000000000, false},
		{"964.25", 0, 964_250_000_000, false},
		{"+2.5s", 1_000, 2_500_001_000, false},
		{"+1m", 0, 60e9, false},
		{"yesterday", 0, 0, true},
		{"+x", 0, 0, true},
	}
	for _, c := range cases {
		got, err := catapp.ParseLogTime(c.in, c.base)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseLogTime(%q, %d) = %d, %v; want %d (error %v)", c.in, c.base, got, err, c.want, c.wantErr)
		}
	}
}

func TestRun(t *testing.T) {
	path, err := writeLog(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		o       catapp.Options
		lines   int
		wantErr string
	}{
		{"one topic", catapp.Options{Topics: []string{"/lidar_top/points"}}, 10, ""},
		{"limit", catapp.Options{Limit: 3}, 3, ""},
		{"relative window", catapp.Options{Topics: []string{"/imu/data"}, Start: "+0.5s", End: "+0.6s"}, 20, ""},
		{"unknown topic", catapp.Options{Topics: []string{"/nope"}}, 0, `--topic "/nope" is not in ` + path + "; its topics: "},
		{"bad time", catapp.Options{End: "soon"}, 0, `bad time "soon": want ns, seconds with a '.', or +DURATION`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			warns, err := catapp.Run(context.Background(), &buf, path, c.o)
			if c.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q…", err, c.wantErr)
				}
				if _, ok := errors.AsType[catapp.UsageError](err); !ok {
					t.Errorf("%v is not a UsageError", err)
				}
				return
			}
			if err != nil || len(warns) > 0 {
				t.Fatalf("error %v, warnings %v", err, warns)
			}
			n := 0
			sc := bufio.NewScanner(&buf)
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var l catapp.Line
				if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Message == nil || l.Error != "" {
					t.Fatalf("line %d: %v %+v", n, err, l)
				}
				if len(c.o.Topics) == 1 && l.Topic != c.o.Topics[0] {
					t.Fatalf("line of %s", l.Topic)
				}
				n++
			}
			if n != c.lines {
				t.Errorf("%d lines, want %d", n, c.lines)
			}
		})
	}
}

// Run prints the selected messages, one JSON object per line.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "catapp")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path, err := writeLog(dir, time.Second)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := catapp.Run(context.Background(), &buf, path, catapp.Options{Topics: []string{"/tf_static"}}); err != nil {
		log.Fatal(err)
	}
	var l catapp.Line
	if err := json.Unmarshal(buf.Bytes(), &l); err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Topic, l.Type, l.Modality)
	// Output: /tf_static tf2_msgs/msg/TFMessage tf
}

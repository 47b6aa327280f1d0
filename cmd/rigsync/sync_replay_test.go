package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/sync/match/matchtest"
)

// The test logs here are written with the foxglove mcap writer directly
// (not rigsync's own writers), as a converter would: one ROS 2 message
// type with a std_msgs/Header, CDR encoded, log times that say nothing
// about the header stamps.

const tickSchema = `std_msgs/Header header
uint32 n
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
`

// tickCDR encodes a rigsync_test/msg/Tick (little-endian CDR): header
// stamp (int32 sec, uint32 nanosec), frame id, then n.
func tickCDR(stamp int64, frame string, n uint32) []byte {
	b := []byte{0, 1, 0, 0} // encapsulation: CDR_LE
	sec, nsec := stamp/1e9, stamp%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(sec)))
	b = binary.LittleEndian.AppendUint32(b, uint32(nsec))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(frame)+1))
	b = append(append(b, frame...), 0)
	for (len(b)-4)%4 != 0 {
		b = append(b, 0)
	}
	return binary.LittleEndian.AppendUint32(b, n)
}

// tickMsg is one message to write: topic, header stamp and log time (ns).
type tickMsg struct {
	topic    string
	stamp    int64
	logTime  uint64
	unstamp  bool // a JSON message without a header instead
	sequence uint32
}

// writeTicks writes msgs in the given order (the file order) to a chunked
// MCAP with one channel per topic (in first-use order).
func writeTicks(t *testing.T, path string, msgs []tickMsg) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 512, Compression: mcap.CompressionNone})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{Profile: "ros2", Library: "rigsync sync replay test"}))
	must(w.WriteSchema(&mcap.Schema{ID: 1, Name: "rigsync_test/msg/Tick", Encoding: "ros2msg", Data: []byte(tickSchema)}))
	chans := map[string]uint16{}
	for _, m := range msgs {
		id, ok := chans[m.topic]
		if !ok {
			id = uint16(len(chans) + 1)
			chans[m.topic] = id
			ch := &mcap.Channel{ID: id, Topic: m.topic, SchemaID: 1, MessageEncoding: "cdr"}
			if m.unstamp {
				ch.SchemaID, ch.MessageEncoding = 0, "json"
			}
			must(w.WriteChannel(ch))
		}
		data := tickCDR(m.stamp, "frame"+m.topic, m.sequence)
		if m.unstamp {
			data = []byte(`{"n": 1}`)
		}
		must(w.WriteMessage(&mcap.Message{ChannelID: id, Sequence: m.sequence, LogTime: m.logTime, PublishTime: m.logTime, Data: data}))
	}
	must(w.Close())
}

// syncReplayJSON is the part of rigsync sync --json these tests read.
type syncReplayJSON struct {
	Sets   []map[string]*json.Number `json:"sets"`
	Policy string                    `json:"policy"`
	Notes  []string                  `json:"notes"`
	Topics []struct {
		Topic     string         `json:"topic"`
		Messages  int            `json:"messages"`
		Used      int            `json:"used"`
		Unmatched map[string]int `json:"unmatched"`
		Clock     struct {
			Estimation     string `json:"estimation"`
			EstimationNote string `json:"estimation_note"`
			Applied        string `json:"applied"`
			Repair         string `json:"repair"`
		} `json:"clock"`
	} `json:"topics"`
}

func runSyncJSON(t *testing.T, args ...string) syncReplayJSON {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"sync", "--json", "-q"}, args...)...)
	if code != exitOK {
		t.Fatalf("rigsync sync %q: exit %d: %s", args, code, errOut)
	}
	var rep syncReplayJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber() // stamps ≈ 1.7e18 do not fit a float64
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rep
}

// setsOf turns the JSON sets back into stamp rows in topic order (-1 for
// a missing member).
func setsOf(t *testing.T, rep syncReplayJSON, topics []string) [][]int64 {
	t.Helper()
	var out [][]int64
	for _, s := range rep.Sets {
		row := make([]int64, len(topics))
		for i, tp := range topics {
			v, ok := s[tp]
			switch {
			case !ok:
				t.Fatalf("set %v has no key %q", s, tp)
			case v == nil:
				row[i] = -1
			default:
				n, err := v.Int64()
				if err != nil {
					t.Fatalf("set %v: %q: %v", s, tp, err)
				}
				row[i] = n
			}
		}
		out = append(out, row)
	}
	return out
}

const replayT0 = uint64(1_700_000_000_000_000_000)

// The message_filters ApproximateTime and ExactTime vectors (shared with
// package match's tests through matchtest) replayed through the whole
// command from MCAP logs whose log times are unrelated to the stamps: every
// message logged at the same instant (a converter's burst; the reader keeps
// file order for equal log times, so the arrival order is upstream's) and
// 7 µs apart in file order (a converter stamping its own write time; not
// 1 µs: stamps 1 s apart logged 1 µs apart would look exactly like a
// seconds field counting microseconds, a unit error that is repaired). Each
// log is synchronised three ways: --correct auto (the default: the clocks
// cannot be estimated, which is reported, and every topic is grouped on its
// stamps), --correct none and --clock for every topic (nothing is
// estimated, also reported); for --clock the stamps are written shifted
// by the given offset, so the sets match upstream only when the given
// models are applied. The sets must equal upstream's, and every message is
// either in a set or counted unmatched.
func TestSyncReplayUpstream(t *testing.T) {
	type policyCase struct {
		policy string
		matchtest.Case
	}
	var cases []policyCase
	for _, c := range matchtest.Approximate() {
		cases = append(cases, policyCase{"approximate", c})
	}
	for _, c := range matchtest.Exact() {
		cases = append(cases, policyCase{"exact", c})
	}
	logTimes := map[string]func(k int) uint64{
		"burst":    func(int) uint64 { return replayT0 },
		"write7us": func(k int) uint64 { return replayT0 + uint64(k)*7000 },
	}
	dir := t.TempDir()
	ran := 0
	for _, tc := range cases {
		topics := make([]string, tc.Topics)
		count := make([]int, tc.Topics)
		for i := range topics {
			topics[i] = fmt.Sprintf("/t%d", i)
		}
		for _, m := range tc.Input {
			count[m.Topic]++
		}
		if slices.Contains(count, 0) {
			// A topic without messages has no channel to name in --topics
			// (ExactTime dropCallback): not a replay of the same input.
			t.Logf("%s/%s: a topic has no messages, not replayed", tc.policy, tc.Name)
			continue
		}
		for _, lt := range []string{"burst", "write7us"} {
			for _, mode := range []string{"auto", "none", "given"} {
				name := fmt.Sprintf("%s/%s/%s/%s", tc.policy, tc.Name, lt, mode)
				t.Run(name, func(t *testing.T) {
					ran++
					var msgs []tickMsg
					for k, m := range tc.Input {
						st := m.Stamp
						if mode == "given" {
							st += int64(m.Topic+1) * int64(time.Second) // the sensor clock runs (topic+1) s ahead
						}
						msgs = append(msgs, tickMsg{topic: topics[m.Topic], stamp: st, logTime: logTimes[lt](k), sequence: uint32(k)})
					}
					path := filepath.Join(dir, strings.NewReplacer("/", "_", "=", "_").Replace(name)+".mcap")
					writeTicks(t, path, msgs)
					args := []string{path, "--policy", tc.policy, "--topics", strings.Join(topics, ","),
						"--queue-size", fmt.Sprint(tc.QueueSize)}
					for i, lb := range tc.LowerBounds {
						if lb > 0 {
							args = append(args, "--lower-bound", fmt.Sprintf("%s=%s", topics[i], lb))
						}
					}
					switch mode {
					case "none":
						args = append(args, "--correct", "none")
					case "given":
						for i, tp := range topics {
							args = append(args, "--clock", fmt.Sprintf("%s=%ds", tp, i+1))
						}
					}
					rep := runSyncJSON(t, args...)
					if got := setsOf(t, rep, topics); !slices.EqualFunc(got, tc.Want, slices.Equal) {
						t.Errorf("sets = %v, want upstream's %v", got, tc.Want)
					}
					if len(rep.Topics) != tc.Topics {
						t.Fatalf("%d topic reports, want %d", len(rep.Topics), tc.Topics)
					}
					for i, tr := range rep.Topics {
						lost := tr.Messages - tr.Used
						for _, n := range tr.Unmatched {
							lost -= n
						}
						if tr.Messages != count[i] || lost != 0 {
							t.Errorf("%s: %d messages (written %d), %d used, unmatched %v: %d unaccounted for",
								tr.Topic, tr.Messages, count[i], tr.Used, tr.Unmatched, lost)
						}
						c := tr.Clock
						want, applied := "impossible", "none"
						switch mode {
						case "none":
							want = "skipped"
						case "given":
							want, applied = "skipped", "given"
						}
						if c.Estimation != want || c.Applied != applied || c.EstimationNote == "" || c.Repair != "none" {
							t.Errorf("%s: clock estimation %q (%q), applied %q, repair %q; want estimation %q, applied %q, a note, no repair",
								tr.Topic, c.Estimation, c.EstimationNote, c.Applied, c.Repair, want, applied)
						}
					}
				})
			}
		}
	}
	if ran == 0 {
		t.Fatal("no case replayed")
	}
}

// Log times that run backwards against the stamps (reversed file order of
// time): the reader delivers each topic newest first. Such a channel's
// clock cannot be estimated, so it is taken in stamp order; the
// approximate policy's sets then depend only on the stamps (queues large
// enough). The upstream ApproximateTime vectors whose every topic fits in
// the queue and arrives in stamp order give upstream's sets. (Another
// interleaving could in principle prove upstream's last held-back set
// earlier or later; on these vectors it does not.)
func TestSyncReplayReversedLogTimes(t *testing.T) {
	dir := t.TempDir()
	ran := 0
	for _, tc := range matchtest.Approximate() {
		count := make([]int, tc.Topics)
		sorted := true
		last := make([]int64, tc.Topics)
		for i := range last {
			last[i] = -1
		}
		for _, m := range tc.Input {
			count[m.Topic]++
			sorted = sorted && m.Stamp > last[m.Topic]
			last[m.Topic] = m.Stamp
		}
		if !sorted || slices.Max(count) > tc.QueueSize {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			ran++
			topics := make([]string, tc.Topics)
			for i := range topics {
				topics[i] = fmt.Sprintf("/t%d", i)
			}
			var msgs []tickMsg
			n := len(tc.Input)
			for k, m := range tc.Input {
				msgs = append(msgs, tickMsg{topic: topics[m.Topic], stamp: m.Stamp, logTime: replayT0 + uint64(n-k)*1_000_000, sequence: uint32(k)})
			}
			path := filepath.Join(dir, strings.NewReplacer("/", "_", "=", "_").Replace(tc.Name)+".mcap")
			writeTicks(t, path, msgs)
			args := []string{path, "--topics", strings.Join(topics, ","), "--queue-size", fmt.Sprint(tc.QueueSize)}
			for i, lb := range tc.LowerBounds {
				if lb > 0 {
					args = append(args, "--lower-bound", fmt.Sprintf("%s=%s", topics[i], lb))
				}
			}
			rep := runSyncJSON(t, args...)
			if got := setsOf(t, rep, topics); !slices.EqualFunc(got, tc.Want, slices.Equal) {
				t.Errorf("sets = %v, want upstream's %v", got, tc.Want)
			}
			for _, tr := range rep.Topics {
				if tr.Clock.Estimation != "impossible" || tr.Clock.EstimationNote == "" {
					t.Errorf("%s: estimation %q (%q), want impossible with the reason", tr.Topic, tr.Clock.Estimation, tr.Clock.EstimationNote)
				}
				if tr.Unmatched["out_of_order"] != 0 {
					t.Errorf("%s: %d messages out of order: the stamps were not used in their order", tr.Topic, tr.Unmatched["out_of_order"])
				}
			}
		})
	}
	if ran < 5 {
		t.Fatalf("only %d cases replayed", ran)
	}
}

// A log whose channels differ: /cam's log times are capture times plus a
// 2 ms transport delay (its clock is estimated), /lidar was written in one
// burst after the fact (its clock cannot be estimated: reported as such in
// the JSON and human reports) and /gps has a single message. Ground truth:
// the LiDAR stamps lie 3 ms after the camera's and the GPS fix 1 ms after
// camera frame 4, so the sets are (cam k, lidar k, gps at k = 4).
func TestSyncUnestimableChannel(t *testing.T) {
	const n = 12
	period := int64(100 * time.Millisecond)
	t0 := int64(replayT0)
	var msgs []tickMsg
	for k := range n {
		st := t0 + int64(k)*period
		msgs = append(msgs, tickMsg{topic: "/cam", stamp: st, logTime: uint64(st + 2_000_000), sequence: uint32(k)})
	}
	for k := range n {
		msgs = append(msgs, tickMsg{topic: "/lidar", stamp: t0 + int64(k)*period + 3_000_000, logTime: uint64(t0) + 5e9, sequence: uint32(k)})
	}
	gps := t0 + 4*period + 1_000_000
	msgs = append(msgs, tickMsg{topic: "/gps", stamp: gps, logTime: uint64(gps + 10_000_000)})
	path := filepath.Join(t.TempDir(), "mixed.mcap")
	writeTicks(t, path, msgs)

	topics := []string{"/cam", "/gps", "/lidar"} // the default: every stamped topic, sorted
	rep := runSyncJSON(t, path, "--optional", "/gps", "--optional-tolerance", "20ms")
	got := setsOf(t, rep, topics)
	if len(got) < n-1 {
		t.Fatalf("%d sets, want at least %d: %v", len(got), n-1, got)
	}
	for k, s := range got {
		want := []int64{t0 + int64(k)*period, -1, t0 + int64(k)*period + 3_000_000}
		if k == 4 {
			want[1] = gps
		}
		if !slices.Equal(s, want) {
			t.Errorf("set %d = %v, want %v", k, s, want)
		}
	}
	est := map[string]string{}
	for _, tr := range rep.Topics {
		est[tr.Topic] = tr.Clock.Estimation + ": " + tr.Clock.EstimationNote
	}
	if !strings.HasPrefix(est["/cam"], "estimated") || !strings.HasPrefix(est["/lidar"], "impossible: log times do not follow the stamps") ||
		!strings.HasPrefix(est["/gps"], "impossible: too few samples: 1") {
		t.Errorf("estimation by topic %q", est)
	}

	// The human report says the same.
	code, out, errOut := runCLI(t, "sync", path, "-q", "--optional", "/gps", "--optional-tolerance", "20ms")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"clock: /lidar: cannot be estimated: log times do not follow the stamps",
		"clock: /gps: cannot be estimated: too few samples: 1",
		"grouped on its stamps as recorded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "clock: /cam") {
		t.Errorf("report says /cam's clock was not estimated:\n%s", out)
	}
}

// A log with a single stamped topic (and an unstamped one), or with none,
// gives an empty result with a note, exit 0, in both reports.
func TestSyncSingleStampedTopic(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stamped int // stamped topics: 0 or 1
		note    string
	}{
		{"one", 1, `1 stamped topic(s) ["/cam"]`},
		{"none", 0, `0 stamped topic(s) []`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []tickMsg
			for k := range 5 {
				st := int64(replayT0) + int64(k)*int64(100*time.Millisecond)
				if tc.stamped == 1 {
					msgs = append(msgs, tickMsg{topic: "/cam", stamp: st, logTime: uint64(st + 1_000_000), sequence: uint32(k)})
				}
				msgs = append(msgs, tickMsg{topic: "/status", unstamp: true, logTime: uint64(st + 2_000_000)})
			}
			path := filepath.Join(t.TempDir(), "single.mcap")
			writeTicks(t, path, msgs)
			rep := runSyncJSON(t, path)
			if rep.Sets == nil || len(rep.Sets) != 0 || len(rep.Notes) != 1 || !strings.HasPrefix(rep.Notes[0], tc.note) ||
				!strings.Contains(rep.Notes[0], "nothing to group") {
				t.Errorf("sets %v, notes %q; want [] and a note %q…", rep.Sets, rep.Notes, tc.note)
			}
			if rep.Topics == nil || len(rep.Topics) != tc.stamped {
				t.Fatalf("topics %+v, want %d", rep.Topics, tc.stamped)
			}
			if tc.stamped == 1 && (rep.Topics[0].Topic != "/cam" || rep.Topics[0].Messages != 5 || rep.Topics[0].Unmatched["single_topic"] != 5) {
				t.Errorf("topics %+v, want /cam with its 5 messages unmatched as single_topic", rep.Topics)
			}
			code, out, errOut := runCLI(t, "sync", path, "-q")
			if code != exitOK || !strings.Contains(out, "sets:    0") || !strings.Contains(out, "note: "+tc.note) {
				t.Errorf("exit %d, want 0, empty sets and a note:\n%s%s", code, out, errOut)
			}
		})
	}
}

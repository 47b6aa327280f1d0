package watermark

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/rigsync/rigsync/sync/match"
)

const ms = int64(time.Millisecond)

// event is one message arrival of a scenario.
type event struct {
	arrival, stamp int64
	stream, id     int
}

// gotSet is a copied emitted set: member ids (−1 missing).
type gotSet struct {
	stamp, emitted, wm int64
	ids                []int
	flush              bool
}

type result struct {
	sets    []gotSet
	drops   map[int]Reason // id → reason
	maxHeld int
}

// run feeds events (sorted by arrival) and ticks every tick ns to a
// grouper, then flushes.
func run(t *testing.T, cfg Config, evs []event, tick int64) result {
	t.Helper()
	res := result{drops: map[int]Reason{}}
	inFlush := false
	var g *Grouper[int]
	g, err := New(cfg, Handler[int]{
		Set: func(s *Set[int]) error {
			gs := gotSet{stamp: s.Stamp, emitted: s.Emitted, wm: s.Watermark, flush: inFlush}
			for _, m := range s.Members {
				if m.Present {
					gs.ids = append(gs.ids, m.Value)
				} else {
					gs.ids = append(gs.ids, -1)
				}
			}
			res.sets = append(res.sets, gs)
			return nil
		},
		Drop: func(stream int, m match.Member[int], r Reason) {
			if _, dup := res.drops[m.Value]; dup {
				t.Errorf("message %d dropped twice", m.Value)
			}
			res.drops[m.Value] = r
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	next := int64(0)
	if len(evs) > 0 {
		next = evs[0].arrival
	}
	for _, e := range evs {
		for tick > 0 && next < e.arrival {
			if err := g.Advance(next); err != nil {
				t.Fatal(err)
			}
			res.maxHeld = max(res.maxHeld, g.Held())
			next += tick
		}
		if err := g.Push(e.arrival, e.stream, e.stamp, e.id); err != nil {
			t.Fatal(err)
		}
		res.maxHeld = max(res.maxHeld, g.Held())
	}
	end := next + cfg.MaxLatency.Nanoseconds() + 10*tick
	for ; tick > 0 && next <= end; next += tick {
		if err := g.Advance(next); err != nil {
			t.Fatal(err)
		}
	}
	inFlush = true
	if err := g.Flush(end); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTable(t *testing.T) {
	tol := match.Tolerance(10 * time.Millisecond)
	two := []Stream{{Name: "ref", Window: tol}, {Name: "cam", Window: tol}}
	cases := []struct {
		name string
		cfg  Config
		evs  []event
		tick int64
		want []gotSet // ids, stamp, emitted (wm unchecked when 0)
		drop map[int]Reason
	}{
		{
			name: "complete set waits for the partner",
			cfg:  Config{Streams: two, MaxLatency: 200 * time.Millisecond},
			evs: []event{
				{arrival: 100 * ms, stamp: 100 * ms, stream: 0, id: 0},
				{arrival: 140 * ms, stamp: 105 * ms, stream: 1, id: 1},
				{arrival: 150 * ms, stamp: 200 * ms, stream: 0, id: 2},
				{arrival: 160 * ms, stamp: 150 * ms, stream: 1, id: 3},
			},
			// Set 0 can go once the camera has delivered past 110 ms (its
			// stamp 150 at 160 ms).
			want: []gotSet{{stamp: 100 * ms, emitted: 160 * ms, ids: []int{0, 1}}, {stamp: 200 * ms, ids: []int{2, -1}, flush: true}},
			drop: map[int]Reason{3: Reason(match.OutsideWindow)},
		},
		{
			name: "silent stream: emitted at max latency with the member missing",
			cfg:  Config{Streams: two, MaxLatency: 100 * time.Millisecond},
			evs: []event{
				{arrival: 0, stamp: 0, stream: 0, id: 0},
				{arrival: 100 * ms, stamp: 100 * ms, stream: 0, id: 1},
			},
			tick: 10 * ms,
			want: []gotSet{{stamp: 0, emitted: 100 * ms, ids: []int{0, -1}}, {stamp: 100 * ms, emitted: 200 * ms, ids: []int{1, -1}}},
		},
		{
			name: "known lateness releases earlier than max latency",
			cfg: Config{Streams: []Stream{{Name: "ref", Window: tol, Lateness: 30 * time.Millisecond}, {Name: "cam", Window: tol, Lateness: 30 * time.Millisecond}},
				MaxLatency: time.Second},
			evs: []event{
				{arrival: 0, stamp: 0, stream: 0, id: 0},
				{arrival: 100 * ms, stamp: 100 * ms, stream: 0, id: 1},
			},
			tick: 10 * ms,
			// W = now − 30 ms passes 0 + 10 ms (the window end) at the
			// 50 ms tick, long before the 1 s latency bound.
			want: []gotSet{{stamp: 0, emitted: 50 * ms, ids: []int{0, -1}}, {stamp: 100 * ms, emitted: 150 * ms, ids: []int{1, -1}}},
		},
		{
			name: "late message is dropped, not grouped",
			cfg:  Config{Streams: two, MaxLatency: 50 * time.Millisecond},
			evs: []event{
				{arrival: 0, stamp: 0, stream: 0, id: 0},
				{arrival: 100 * ms, stamp: 2 * ms, stream: 1, id: 1},
			},
			tick: 10 * ms,
			want: []gotSet{{stamp: 0, emitted: 50 * ms, ids: []int{0, -1}}},
			drop: map[int]Reason{1: Late},
		},
		{
			name: "out of order and duplicate",
			cfg:  Config{Streams: two, MaxLatency: 50 * time.Millisecond},
			evs: []event{
				{arrival: 0, stamp: 0, stream: 0, id: 0},
				{arrival: 1, stamp: 5 * ms, stream: 1, id: 1},
				{arrival: 2, stamp: 5 * ms, stream: 1, id: 2},
				{arrival: 3, stamp: 4 * ms, stream: 1, id: 3},
			},
			want: []gotSet{{stamp: 0, ids: []int{0, 1}, flush: true}},
			drop: map[int]Reason{2: Reason(match.Duplicate), 3: OutOfOrder},
		},
		{
			name: "nearest inside the window wins, the earlier is superseded",
			cfg:  Config{Streams: two, MaxLatency: 500 * time.Millisecond},
			evs: []event{
				{arrival: 0, stamp: 0, stream: 1, id: 0},
				{arrival: 1, stamp: 8 * ms, stream: 1, id: 1},
				{arrival: 2, stamp: 9 * ms, stream: 0, id: 2},
				{arrival: 3, stamp: 30 * ms, stream: 1, id: 3},
			},
			// The reference stream, not known to be done, holds the
			// watermark: the set leaves at the end of the input.
			want: []gotSet{{stamp: 9 * ms, ids: []int{2, 1}, flush: true}},
			drop: map[int]Reason{0: Reason(match.Superseded), 3: Reason(match.OutsideWindow)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, c.cfg, c.evs, c.tick)
			if len(res.sets) != len(c.want) {
				t.Fatalf("got %d sets %+v, want %d %+v", len(res.sets), res.sets, len(c.want), c.want)
			}
			for i, w := range c.want {
				g := res.sets[i]
				if g.stamp != w.stamp || !slices.Equal(g.ids, w.ids) || g.flush != w.flush || (!w.flush && w.emitted != 0 && g.emitted != w.emitted) {
					t.Errorf("set %d = %+v, want %+v", i, g, w)
				}
			}
			for id, r := range c.drop {
				if res.drops[id] != r {
					t.Errorf("message %d: drop reason %v, want %v", id, res.drops[id], r)
				}
			}
			if len(res.drops) != len(c.drop) {
				t.Errorf("drops %v, want %v", res.drops, c.drop)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tol := match.Tolerance(10 * time.Millisecond)
	bad := []Config{
		{Streams: []Stream{{Window: tol}}, MaxLatency: time.Second},
		{Streams: []Stream{{Window: tol}, {Window: tol}}, Reference: 2, MaxLatency: time.Second},
		{Streams: []Stream{{Window: tol}, {Window: tol}}},
		{Streams: []Stream{{Window: tol}, {Window: match.Window{}}}, MaxLatency: time.Second},
		{Streams: []Stream{{Window: tol}, {Window: tol}}, MaxLatency: 5 * time.Millisecond},
		{Streams: []Stream{{Window: tol}, {Window: tol, Lateness: -1}}, MaxLatency: time.Second},
	}
	for i, c := range bad {
		if _, err := New(c, Handler[int]{}); err == nil {
			t.Errorf("config %d: no error", i)
		}
	}
	g, err := New(Config{Streams: []Stream{{Window: tol}, {Window: tol}}, MaxLatency: time.Second}, Handler[int]{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Push(0, 2, 0, 0); err == nil {
		t.Error("stream 2 of 2 accepted")
	}
}

// scenario draws random streams with random arrival delays.
type scenario struct {
	cfg  Config
	evs  []event
	tick int64
	// bad marks events whose delay exceeds the bounds (they may be late).
	bad map[int]bool
}

func randomScenario(r *rand.Rand, narrow bool) scenario {
	k := 2 + r.IntN(3)
	tol := time.Duration(2+r.IntN(20)) * time.Millisecond
	var sc scenario
	sc.cfg.MaxLatency = tol + time.Duration(20+r.IntN(300))*time.Millisecond
	sc.cfg.Reference = r.IntN(k)
	sc.cfg.QueueSize = 256
	if r.IntN(4) == 0 {
		sc.cfg.MaxHeld = 1 + r.IntN(8)
	}
	sc.tick = int64(1+r.IntN(20)) * ms
	sc.bad = map[int]bool{}
	id := 0
	for i := range k {
		s := Stream{Name: fmt.Sprint("s", i), Window: match.Tolerance(tol)}
		if r.IntN(3) == 0 {
			s.Lateness = time.Duration(1+r.IntN(100)) * time.Millisecond
		}
		period := int64(10+r.IntN(90)) * ms
		if narrow && i == sc.cfg.Reference {
			period = max(period, 3*int64(tol))
		}
		maxDelay := int64(r.IntN(150)) * ms
		stamp := int64(r.IntN(100)) * ms
		arrival := int64(0)
		n := 5 + r.IntN(40)
		if r.IntN(6) == 0 {
			n = 0 // a dead stream
		}
		for range n {
			stamp += period + int64(r.IntN(int(period/4+1))) - period/8
			arrival = max(arrival, stamp+int64(r.Int64N(maxDelay+1)))
			d := arrival - stamp
			if d > int64(sc.cfg.MaxLatency)-int64(tol)-1 || s.Lateness > 0 && d > int64(s.Lateness) {
				sc.bad[id] = true
			}
			sc.evs = append(sc.evs, event{arrival: arrival, stamp: stamp, stream: i, id: id})
			id++
		}
		sc.cfg.Streams = append(sc.cfg.Streams, s)
	}
	sort.SliceStable(sc.evs, func(a, b int) bool { return sc.evs[a].arrival < sc.evs[b].arrival })
	return sc
}

// offline runs match.Reference on the given events (every stream in
// stamp order, each fully pushed, then Flush): what a grouper given all
// messages in advance would emit.
func offline(t *testing.T, cfg Config, evs []event) [][]int {
	k := len(cfg.Streams)
	wins := make([]match.Window, k)
	for i, s := range cfg.Streams {
		wins[i] = s.Window
	}
	var sets [][]int
	pol, err := match.NewReference(match.ReferenceConfig{Topics: k, Reference: cfg.Reference, Windows: wins, QueueSize: 100_000},
		match.Handler[int]{Set: func(ms []match.Member[int]) error {
			ids := make([]int, k)
			for i, m := range ms {
				ids[i] = -1
				if m.Present {
					ids[i] = m.Value
				}
			}
			sets = append(sets, ids)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(evs)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].stamp < sorted[b].stamp })
	for _, e := range sorted {
		if err := pol.Push(e.stream, e.stamp, e.id); err != nil {
			t.Fatal(err)
		}
	}
	pol.Flush()
	return sets
}

// brute is the set of each reference message computed directly: for
// every other stream, its message nearest to the reference stamp inside
// the window (ties: the earlier). Valid when consecutive reference
// windows do not overlap, so no message can be claimed twice.
func brute(cfg Config, evs []event) [][]int {
	k := len(cfg.Streams)
	var sets [][]int
	for _, r := range evs {
		if r.stream != cfg.Reference {
			continue
		}
		ids := make([]int, k)
		for j := range ids {
			ids[j] = -1
			if j == cfg.Reference {
				ids[j] = r.id
				continue
			}
			w := cfg.Streams[j].Window
			c := int64(w.Lo) + (int64(w.Hi)-int64(w.Lo))/2
			bestD, bestStamp := int64(-1), int64(0)
			for _, e := range evs {
				d := e.stamp - r.stamp
				if e.stream != j || d < int64(w.Lo) || d >= int64(w.Hi) {
					continue
				}
				dc := max(d-c, c-d)
				if bestD < 0 || dc < bestD || dc == bestD && e.stamp < bestStamp {
					bestD, bestStamp, ids[j] = dc, e.stamp, e.id
				}
			}
		}
		sets = append(sets, ids)
	}
	sort.SliceStable(sets, func(a, b int) bool {
		return stampOf(evs, sets[a][cfg.Reference]) < stampOf(evs, sets[b][cfg.Reference])
	})
	return sets
}

func stampOf(evs []event, id int) int64 {
	for _, e := range evs {
		if e.id == id {
			return e.stamp
		}
	}
	return -1
}

func TestProperties(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	for seed := range n {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		sc := randomScenario(r, seed%2 == 0)
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			checkScenario(t, sc, seed%2 == 0)
		})
	}
}

func checkScenario(t *testing.T, sc scenario, narrow bool) {
	res := run(t, sc.cfg, sc.evs, sc.tick)
	k := len(sc.cfg.Streams)
	hMax := int64(math.MinInt64)
	for i, s := range sc.cfg.Streams {
		if i != sc.cfg.Reference {
			hMax = max(hMax, int64(s.Window.Hi))
		}
	}
	forced := sc.cfg.MaxHeld > 0 && res.maxHeld >= sc.cfg.MaxHeld
	// No message lost: each in exactly one set or dropped once.
	count := map[int]int{}
	for _, s := range res.sets {
		for _, id := range s.ids {
			if id >= 0 {
				count[id]++
			}
		}
	}
	for _, e := range sc.evs {
		_, dropped := res.drops[e.id]
		if count[e.id]+b2i(dropped) != 1 {
			t.Fatalf("message %d (stream %d stamp %d): in %d sets, dropped %v", e.id, e.stream, e.stamp, count[e.id], dropped)
		}
		if !sc.bad[e.id] && !forced && res.drops[e.id] == Late {
			t.Errorf("on-time message %d (stream %d, stamp %d, arrival %d) dropped as late", e.id, e.stream, e.stamp, e.arrival)
		}
	}
	// Order, watermark and latency.
	last := make([]int64, k)
	for i := range last {
		last[i] = -1 << 62
	}
	prev := int64(-1 << 62)
	for i, s := range res.sets {
		if s.stamp <= prev {
			t.Fatalf("set %d stamp %d after %d", i, s.stamp, prev)
		}
		prev = s.stamp
		for j, id := range s.ids {
			if id < 0 {
				continue
			}
			st := stampOf(sc.evs, id)
			if st <= last[j] {
				t.Fatalf("set %d: stream %d member stamp %d not after %d", i, j, st, last[j])
			}
			last[j] = st
		}
		if s.flush {
			continue
		}
		if s.wm < s.stamp+hMax {
			t.Errorf("set %d (stamp %d) emitted at watermark %d < stamp + %d", i, s.stamp, s.wm, hMax)
		}
		if lat := s.emitted - s.stamp; lat > int64(sc.cfg.MaxLatency)+sc.tick {
			t.Errorf("set %d: latency %v > max %v + tick %v", i, time.Duration(lat), sc.cfg.MaxLatency, time.Duration(sc.tick))
		}
	}
	// Memory: held messages bounded.
	if sc.cfg.MaxHeld > 0 && res.maxHeld > k*(sc.cfg.MaxHeld+1) {
		t.Errorf("held %d messages, bound %d", res.maxHeld, k*(sc.cfg.MaxHeld+1))
	}
	// The sets equal offline grouping of the messages that were not late
	// (nor out of order).
	var kept []event
	for _, e := range sc.evs {
		if r, ok := res.drops[e.id]; !ok || r != Late && r != OutOfOrder && r != Reason(match.Duplicate) {
			kept = append(kept, e)
		}
	}
	got := make([][]int, len(res.sets))
	for i, s := range res.sets {
		got[i] = s.ids
	}
	if forced {
		return // forced releases may cut windows short: only the invariants hold
	}
	if want := offline(t, sc.cfg, kept); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("online sets differ from offline Reference:\n got %v\nwant %v", got, want)
	}
	if narrow {
		if want := brute(sc.cfg, kept); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("online sets differ from brute force:\n got %v\nwant %v", got, want)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestBoundedMemory feeds a long run with one dead stream and checks that
// the held messages stay bounded by the latency, not the run length.
func TestBoundedMemory(t *testing.T) {
	tol := match.Tolerance(20 * time.Millisecond)
	g, err := New(Config{Streams: []Stream{{Name: "lidar", Window: tol}, {Name: "cam", Window: tol}, {Name: "dead", Window: tol}},
		MaxLatency: 200 * time.Millisecond}, Handler[int]{})
	if err != nil {
		t.Fatal(err)
	}
	peak := 0
	for i := range 100_000 {
		now := int64(i) * 10 * ms
		if err := g.Push(now, i%2, now-5*ms, i); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, g.Held())
	}
	// 200 ms at 100 messages/s in total: about 20 held.
	if peak > 25 {
		t.Errorf("peak held %d messages over 1000 s; want ≤ 25 (bounded by the latency)", peak)
	}
}

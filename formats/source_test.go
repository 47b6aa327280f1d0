package formats_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// list is a Source over fixed messages; err (if set) comes after them.
type list struct {
	name  string
	msgs  []formats.Message
	err   error
	calls int // calls of Next
}

func (l *list) Next(ctx context.Context) (formats.Message, error) {
	l.calls++
	if err := ctx.Err(); err != nil {
		return formats.Message{}, err
	}
	if len(l.msgs) == 0 {
		if l.err != nil {
			return formats.Message{}, l.err
		}
		return formats.Message{}, io.EOF
	}
	m := l.msgs[0]
	l.msgs = l.msgs[1:]
	return m, nil
}

// named is a list with a name.
type named struct{ *list }

func (n named) Name() string { return n.name }

// msgs makes messages "topic@logtime" from "topic@t" specs.
func msgs(specs ...string) []formats.Message {
	var out []formats.Message
	for _, s := range specs {
		var m formats.Message
		topic, t, _ := strings.Cut(s, "@")
		m.Topic = topic
		fmt.Sscan(t, &m.LogTime)
		out = append(out, m)
	}
	return out
}

func drain(t *testing.T, m *formats.Merged) (got []string, from []int, err error) {
	t.Helper()
	ctx := context.Background()
	for range 1000 {
		msg, err := m.Next(ctx)
		if err != nil {
			if m.From() != -1 {
				t.Errorf("From = %d after an error/EOF, want -1", m.From())
			}
			return got, from, err
		}
		got = append(got, fmt.Sprintf("%s@%d", msg.Topic, msg.LogTime))
		from = append(from, m.From())
	}
	t.Fatal("no end")
	return
}

func TestMerge(t *testing.T) {
	boom := errors.New("disk on fire")
	cases := []struct {
		name string
		srcs []formats.Source
		want []string
		from []int
		// err: "" for io.EOF at the end, else the error's text.
		err      string
		errIndex int
	}{
		{name: "no source", want: nil},
		{name: "empty sources", srcs: []formats.Source{&list{}, &list{}}},
		{name: "one source", srcs: []formats.Source{&list{msgs: msgs("a@1", "a@2", "a@2")}},
			want: []string{"a@1", "a@2", "a@2"}, from: []int{0, 0, 0}},
		{name: "interleaved", srcs: []formats.Source{&list{msgs: msgs("a@1", "a@4", "a@6")}, &list{msgs: msgs("b@2", "b@3", "b@7")}},
			want: []string{"a@1", "b@2", "b@3", "a@4", "a@6", "b@7"}, from: []int{0, 1, 1, 0, 0, 1}},
		{name: "ties go to the earlier source", srcs: []formats.Source{&list{msgs: msgs("a@5", "a@5")}, &list{msgs: msgs("b@1", "b@5", "b@5")}, &list{msgs: msgs("c@5")}},
			want: []string{"b@1", "a@5", "a@5", "b@5", "b@5", "c@5"}, from: []int{1, 0, 0, 1, 1, 2}},
		{name: "ties keep a source's order", srcs: []formats.Source{&list{msgs: msgs("x@3", "y@3", "z@3")}, &list{msgs: msgs("w@3")}},
			want: []string{"x@3", "y@3", "z@3", "w@3"}, from: []int{0, 0, 0, 1}},
		{name: "an empty source among others", srcs: []formats.Source{&list{}, &list{msgs: msgs("b@2")}, &list{}, &list{msgs: msgs("d@1")}},
			want: []string{"d@1", "b@2"}, from: []int{3, 1}},
		{name: "negative log times", srcs: []formats.Source{&list{msgs: msgs("a@0")}, &list{msgs: msgs("b@-5")}},
			want: []string{"b@-5", "a@0"}, from: []int{1, 0}},
		{name: "an error stops the merge and names the source", srcs: []formats.Source{
			named{&list{name: "a.mcap", msgs: msgs("a@1", "a@9")}}, named{&list{name: "b.mcap", msgs: msgs("b@2"), err: boom}}},
			want: []string{"a@1", "b@2"}, from: []int{0, 1}, err: "b.mcap: disk on fire", errIndex: 1},
		{name: "an unnamed source is numbered", srcs: []formats.Source{&list{msgs: msgs("a@1")}, &list{}, &list{err: boom}},
			err: "source 3: disk on fire", errIndex: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := formats.Merge(c.srcs...)
			got, from, err := drain(t, m)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if fmt.Sprint(from) != fmt.Sprint(c.from) && len(c.from)+len(from) > 0 {
				t.Errorf("from %v, want %v", from, c.from)
			}
			if c.err == "" {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("end: %v, want io.EOF", err)
				}
			} else {
				var se *formats.SourceError
				if !errors.As(err, &se) || se.Index != c.errIndex || err.Error() != c.err || !errors.Is(err, boom) {
					t.Fatalf("error %v (%#v), want %q from source %d wrapping the cause", err, se, c.err, c.errIndex)
				}
			}
			// The end (or the error) stays.
			if _, again := m.Next(context.Background()); again == nil || again.Error() != err.Error() {
				t.Errorf("after %v: %v", err, again)
			}
		})
	}
}

// TestMergeReadsLazily: a source is asked for its next message only once
// the one before has been handed out (a paced source is not read ahead),
// and not at all after an error.
func TestMergeReadsLazily(t *testing.T) {
	a := &list{msgs: msgs("a@1", "a@2", "a@3")}
	b := &list{msgs: msgs("b@10")}
	m := formats.Merge(a, b)
	ctx := context.Background()
	if _, err := m.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if a.calls != 1 || b.calls != 1 {
		t.Fatalf("after the first message: %d and %d calls, want 1 and 1", a.calls, b.calls)
	}
	if _, err := m.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if a.calls != 2 || b.calls != 1 {
		t.Fatalf("after the second message: %d and %d calls, want 2 and 1", a.calls, b.calls)
	}

	bad := &list{err: errors.New("gone")}
	other := &list{msgs: msgs("c@1")}
	m = formats.Merge(bad, other)
	for range 3 {
		if _, err := m.Next(ctx); err == nil {
			t.Fatal("no error")
		}
	}
	if bad.calls != 1 || other.calls != 0 {
		t.Errorf("after the error: %d and %d calls, want 1 and 0", bad.calls, other.calls)
	}
}

// TestMergeContext: a done context reaches the sources, and the merge
// returns their error wrapped.
func TestMergeContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := formats.Merge(&list{msgs: msgs("a@1")}).Next(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// BenchmarkMerge: the merge's own cost per message, 4 in-memory sources.
func BenchmarkMerge(b *testing.B) {
	const k, n = 4, 1024
	all := make([][]formats.Message, k)
	for i := range all {
		for j := range n {
			all[i] = append(all[i], formats.Message{Topic: "t", LogTime: int64(j*k + i)})
		}
	}
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		srcs := make([]formats.Source, k)
		for i := range srcs {
			srcs[i] = &list{msgs: all[i]}
		}
		m := formats.Merge(srcs...)
		for {
			if _, err := m.Next(ctx); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k*n), "ns/msg")
}

package writers_test

import (
	"context"
	"fmt"

	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers"
)

// countSink counts the frames it is given.
type countSink struct{ n *int }

func (s countSink) Write(_ context.Context, _ *fused.Frame) error { *s.n++; return nil }
func (s countSink) Close() error                                  { return nil }

// A registry of one format that counts frames: look it up by its --format
// name, open it with the run's Options, write, close, finish.
func Example() {
	var n int
	reg := writers.New(writers.Format{
		Name:   "count",
		Doc:    "counts the frames (writes nothing)",
		Resume: "counts again",
		New: func(o writers.Options) (writers.Output, error) {
			return writers.Output{Sink: countSink{&n}}, nil
		},
	})
	if _, err := reg.Lookup("ply"); err != nil {
		fmt.Println(err)
	}
	f, err := reg.Lookup("count")
	if err != nil {
		panic(err)
	}
	out, err := f.New(writers.Options{Out: "out/"})
	if err != nil {
		panic(err)
	}
	for i := range 3 {
		if err := out.Sink.Write(context.Background(), &fused.Frame{Index: i}); err != nil {
			panic(err)
		}
	}
	err = out.Sink.Close()
	if out.Finish != nil {
		err = out.Finish(err == nil)
	}
	fmt.Println(f.Name, "-", f.Doc+":", n, "frames,", err)
	// Output:
	// unknown format "ply": want count
	// count - counts the frames (writes nothing): 3 frames, <nil>
}

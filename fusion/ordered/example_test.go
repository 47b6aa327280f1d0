package ordered_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rigsync/rigsync/fusion/ordered"
)

// Tasks finish in any order on the workers; their commits run in the order
// the tasks were submitted.
func Example() {
	q := ordered.New(4, 8)
	for i := range 5 {
		err := q.Submit(context.Background(), func() (func() error, error) {
			time.Sleep(time.Duration(5-i) * time.Millisecond) // later tasks finish first
			s := fmt.Sprintf("frame %d encoded", i)
			return func() error { fmt.Println(s); return nil }, nil
		})
		if err != nil {
			fmt.Println(err)
		}
	}
	if err := q.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// frame 0 encoded
	// frame 1 encoded
	// frame 2 encoded
	// frame 3 encoded
	// frame 4 encoded
}

package textsafe_test

import (
	"fmt"
	"os"

	"github.com/rigsync/rigsync/internal/textsafe"
)

func ExampleString() {
	fmt.Println(textsafe.String("/cam\x1b]0;pwned\x07/image"))
	fmt.Println(textsafe.String("lidar\u009b31m"))
	// Output:
	// /cam\x1b]0;pwned\x07/image
	// lidar\u009b31m
}

func ExampleWriter() {
	w := textsafe.NewWriter(os.Stdout)
	fmt.Fprintf(w, "topic %s\tok\n", "/cam\x1b[2J")
	w.Flush()
	// Output:
	// topic /cam\x1b[2J	ok
}

package videodec_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/rigsync/rigsync/formats/videodec"
)

// DecodeAll turns the access units of a recorded /NAME/video topic into
// pictures; without ffmpeg it says how to install it.
func ExampleDecodeAll() {
	var aus [][]byte // Annex B access units, from the first keyframe on
	pics, err := videodec.DecodeAll(context.Background(), "h264", aus)
	if errors.Is(err, videodec.ErrNoFFmpeg) {
		log.Fatal(err) // ffmpeg not found: install it (apt-get install ffmpeg) ...
	}
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pics {
		fmt.Println(p.Bounds().Dx(), "x", p.Bounds().Dy())
	}
}

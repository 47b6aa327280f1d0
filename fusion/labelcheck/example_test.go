package labelcheck_test

import (
	"fmt"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/labelcheck"
)

// A Checker is handed fused frames (here one simulated sweep with a parked
// car) with the labels of the same frames; Finish gives the verdicts. The
// box is labelled 0.5 m to the right of the car.
func ExampleChecker() {
	carObj := object{center: r3.Vec{X: 12, Y: 4, Z: 0.75}, size: car, yaw: 0.1}
	f := sweep([]object{carObj})
	box := truthBox("7", carObj)
	box.Center = box.Pose().Apply(r3.Vec{Y: -0.5})

	c := labelcheck.New(labelcheck.Options{Origin: &r3.Vec{Z: 1.9}})
	if err := c.Add(f, &labels.Frame{Index: 0, StampNS: f.Stamp, Boxes: []labels.Box{box}}); err != nil {
		fmt.Println(err)
		return
	}
	rep := c.Finish()
	fmt.Println(rep)
	r := rep.Findings[0]
	fmt.Printf("box %s: %s %v, move it by y %+.1f m\n", r.ID, r.Verdict, r.Kinds, r.Correction.Shift[1])
	// Output:
	// wrong: 1 boxes in 1 frames, 0 ok, 0 suspicious, 1 wrong, 0 missing
	// box 7: wrong [shift], move it by y +0.5 m
}

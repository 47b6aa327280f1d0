// Package layering holds the test that keeps rigsync's packages in their
// layers (see the README's layout): the sync/ and calib/ libraries do not
// read logs or run the pipeline (no formats/mcapread, no fusion, no cmd),
// and nothing in formats/ depends on fusion/ or cmd/. It has no code.
//
// The layers are not all clean yet (issue 13 moves what is left):
// knownViolations in the test lists each dependency that still crosses a
// layer. The test fails on any other crossing, and also when a listed one
// is gone, so that the list only ever shrinks.
package layering

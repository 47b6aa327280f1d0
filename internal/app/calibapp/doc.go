// Package calibapp runs the "rigsync calib" subcommands other than check
// (package checkapp runs that one): show (Show), convert (Convert),
// project (Project), solve (Solve) and rig init (RigInit). Each opens its
// input files, calls the calibration libraries (calib/calibio,
// calib/camera, calib/rig, calib/solve, formats/logcalib) and returns a
// result that marshals to the command's --json output and writes its text
// output (WriteText, WriteCSV).
//
// cmd/rigsync keeps the flags, the help, the choice of text or JSON and
// the exit codes: an error in the options is a UsageError (exit 2), any
// other error exit 1. Error texts are those the command printed before
// this package was split from it (issue 13).
package calibapp

// Package outdir is the output-folder discipline shared by rigsync's frame
// writers: a non-empty folder is refused unless forced, every file is written
// under a temporary name and renamed into place, names are sanitised before
// they become file names, and a manifest.jsonl records each completed frame
// so that a killed run can be resumed without losing or duplicating frames.
//
// A frame is complete once its manifest line is appended; the line is
// appended only after every file of the frame has been renamed into place.
// Without Options.Sync this survives a killed process (the kernel keeps the
// written pages); with Sync every file and the manifest are fsynced, which
// also survives a power loss.
package outdir

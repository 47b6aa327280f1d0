// Package writers is the registry of fuse's output formats. Each writer
// package (frames, nuscenes, foxmcap, kitti, cvat, segments, xtreme1)
// describes itself with a Format: its --format name, a one-line doc, how
// --resume continues it, and how to open it from Options, what fuse knows
// about the run. A Registry holds the formats; package all builds the one
// rigsync uses, explicitly (no init), so that adding a format is one new
// writer package and one line in all.
//
// No writer imports another writer: what they share (the output-folder
// discipline, image files, plain PCD) lives in fusion/writers/internal.
package writers

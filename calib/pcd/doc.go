// Package pcd reads and writes the x, y, z fields of Point Cloud Library
// PCD files (version 0.7 headers; DATA ascii and binary;
// binary_compressed is refused with an error). Other fields are skipped on
// read. Points with a non-finite coordinate (the holes of organized
// clouds) are dropped.
package pcd

// Package pcd reads and writes Point Cloud Library PCD files (version 0.7
// headers). Read and Write handle the x, y, z fields (DATA ascii and
// binary; binary_compressed is refused with an error; other fields are
// skipped on read; points with a non-finite coordinate, the holes of
// organized clouds, are dropped). AppendHeader writes the header of any
// field layout: every PCD file rigsync writes (the frames layout's lidar
// and radar clouds, nuScenes radar sweeps, the annotation tools' plain
// clouds) starts with it.
package pcd

// Package kdtree is a static 3-D k-d tree over r3.Vec points for nearest-
// neighbour and k-nearest-neighbour queries (ICP correspondences, normal
// estimation). It is built once in O(n log n) and never allocates per
// query beyond the caller's result slice.
package kdtree

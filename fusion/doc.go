// Package fusion turns a drive log into fused, annotation-ready frames:
// Pipeline reads a log (formats/mcapio + formats/decode), corrects sensor
// clocks (sync/clock models), groups every sensor around the reference
// LiDAR sweep (sync/match reference policy), and per frame transforms and
// deskews every cloud into the shared frame, compensates radar Doppler for
// ego motion, places each camera at its own exposure time and projects the
// LiDAR points into it, and records what each sensor contributed. Frames go
// to a Sink; the writers live in fusion/writers.
package fusion

// Package report presents a calibration check (check.Report) to people:
// one self-contained offline HTML page (WriteHTML), overlay images of LiDAR
// points on the camera images before and after the suggested correction
// (Overlays) and PNG plots of a pair's score over time (TimePlot) and
// over the perturbation search (SearchPlot).
//
// Times on pictures are seconds since the report's start, on the report's
// clock (check.Report.Clock).
package report

// Package clock models sensor clocks against a reference clock and
// estimates those models from data.
//
// A Model is an offset plus a linear drift. EstimateOneWay fits one from
// pairs (sensor stamp, log time) with the one-way lower-envelope method:
// every log time is the sensor time plus a delay that is never negative, so
// the true line lies under all points; the estimate is the edge of the lower
// convex hull over the mean stamp (the linear-programming solution of Moon,
// Skelly and Towsley), not a least-squares line, so queueing delays and
// delay spikes do not bias it. Its offset includes the minimum transport
// delay, which one-way data cannot separate from a clock offset.
//
// DetectScale, DetectWrap and DetectJumps find unit errors (a seconds field
// that counts milliseconds), counter wrap-around and clock jumps or resets;
// Analyze runs them all and returns the Repair that fixes the stamps before
// the model is estimated; DetectRepairs does the same without estimating.
// Both refuse log times that do not follow the stamps (ErrUnrelatedLogTimes)
// rather than fit a model to them.
//
// Times are int64 nanoseconds; the package does not depend on formats.
package clock

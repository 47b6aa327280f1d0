package fuseapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers"
	"github.com/rigsync/rigsync/fusion/writers/all"
)

// countingSink passes frames on and keeps the summary's statistics.
type countingSink struct {
	fused.Sink
	sum     *Summary
	present map[string]int
	prog    Progress
	observe func(*fused.Frame) error
	// labels, when set, matches the --labels boxes to the frames.
	labels *LabelMatcher
}

func (s *countingSink) Write(ctx context.Context, f *fused.Frame) error {
	if s.labels != nil {
		attachLabels(s.labels, s.sum.Labels, f)
	}
	if s.observe != nil {
		if err := s.observe(f); err != nil {
			return err
		}
	}
	s.sum.Frames++
	for _, st := range f.Sensors {
		if !st.Missing {
			s.present[st.Name]++
		} else if _, ok := s.present[st.Name]; !ok {
			s.present[st.Name] = 0
		}
		if st.Degraded {
			s.sum.Degraded[st.Name]++
		}
	}
	if f.Lidar != nil {
		s.sum.Deskew[f.Lidar.Deskew]++
	}
	s.sum.EgoSource[f.EgoSource]++
	s.prog.Set(int64(s.sum.Frames))
	return s.Sink.Write(ctx, f)
}

// discardSink drops every frame (Options.Discard).
type discardSink struct{}

func (discardSink) Write(context.Context, *fused.Frame) error { return nil }
func (discardSink) Close() error                              { return nil }

// lookupFormat looks the format name up among the registered formats (an
// unknown one is a UsageError listing them).
func lookupFormat(name string) (writers.Format, error) {
	f, err := all.Formats().Lookup(name)
	if ue := (*writers.UnknownFormatError)(nil); errors.As(err, &ue) {
		return f, UsageError{fmt.Errorf("fuse: --format %q: want %s", name, writers.OneOf(ue.Known))}
	}
	return f, err
}

// OpenSink opens the writer of o.Format through the fusion/writers
// registry, as Run does (o's Out, Force, Resume, Frame, Reference,
// KeyframeHz, KITTICamera, URLPrefix and Workers; the calibration cal). For a
// single-file output it also returns a finish function that moves the
// temporary file into place when the run succeeded (ok) and removes it
// otherwise. An unknown format or options the format refuses are a
// UsageError.
func OpenSink(o Options, cal *fusion.Calibration) (fused.Sink, func(ok bool) error, error) {
	format, err := lookupFormat(o.Format)
	if err != nil {
		return nil, nil, err
	}
	out, err := format.New(writers.Options{Out: o.Out, Force: o.Force, Resume: o.Resume, Calibration: cal,
		BaseFrame: o.Frame, Reference: o.Reference, KeyframeHz: o.KeyframeHz, KITTICamera: o.KITTICamera, URLPrefix: o.URLPrefix,
		Workers: o.Workers, NoProjections: o.NoProjections})
	if oe := (*writers.OptionError)(nil); errors.As(err, &oe) {
		return nil, nil, UsageError{fmt.Errorf("fuse: %w", err)}
	}
	return out.Sink, out.Finish, err
}

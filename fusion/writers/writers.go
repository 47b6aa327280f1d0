package writers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rigsync/rigsync/fusion/fused"
)

// Format is one output format of fuse.
type Format struct {
	// Name is the --format value, e.g. "nuscenes".
	Name string
	// Doc says in one line (no newline) what the format writes.
	Doc string
	// Resume says in one line how --resume continues a killed run of
	// this format; empty if it cannot (fuse then refuses --resume).
	Resume string
	// New opens the writer of a run.
	New func(Options) (Output, error)
	// Projections is true when the writer writes the LiDAR points
	// projected into the cameras (fused.Camera.Projected); fuse skips
	// that work for a writer that does not.
	Projections bool
}

// Output is an opened writer.
type Output struct {
	// Sink receives the frames; the caller closes it.
	Sink fused.Sink
	// Finish, if set, is called once after Sink.Close with whether the
	// whole run succeeded: a single-file writer moves its temporary file
	// into place when ok and removes it otherwise.
	Finish func(ok bool) error
}

// OptionError is an error in a format's option (a usage error, such as an
// unknown --kitti-camera): Option names the flag without its dashes.
type OptionError struct {
	Option string
	Err    error
}

func (e *OptionError) Error() string { return "--" + e.Option + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *OptionError) Unwrap() error { return e.Err }

// ErrUnknownFormat is what Lookup's error for an unknown name wraps.
var ErrUnknownFormat = errors.New("writers: unknown format")

// UnknownFormatError is Lookup's error for a name no format has; it
// lists the known names.
type UnknownFormatError struct {
	Name  string
	Known []string
}

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown format %q: want %s", e.Name, OneOf(e.Known))
}

// Unwrap returns ErrUnknownFormat.
func (e *UnknownFormatError) Unwrap() error { return ErrUnknownFormat }

// OneOf lists names as "a, b or c".
func OneOf(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Registry is a set of formats in the order they were registered. The
// zero Registry is empty and ready to use. It is not safe for concurrent
// Register calls.
type Registry struct {
	formats []Format
}

// New returns a registry holding formats, in this order. It panics as
// Register does.
func New(formats ...Format) *Registry {
	r := &Registry{}
	for _, f := range formats {
		r.Register(f)
	}
	return r
}

// Register adds f. It panics on a programming error: an empty name, a
// name with spaces, a doc that is empty or not one line, no New, or a
// name already registered.
func (r *Registry) Register(f Format) {
	switch {
	case f.Name == "" || strings.ContainsAny(f.Name, " \t\n,"):
		panic(fmt.Sprintf("writers: Register: bad name %q", f.Name))
	case f.Doc == "" || strings.Contains(f.Doc, "\n") || strings.Contains(f.Resume, "\n"):
		panic(fmt.Sprintf("writers: Register %q: Doc and Resume must be one line, Doc not empty", f.Name))
	case f.New == nil:
		panic(fmt.Sprintf("writers: Register %q: no New", f.Name))
	}
	if _, ok := r.find(f.Name); ok {
		panic(fmt.Sprintf("writers: Register: format %q registered twice", f.Name))
	}
	r.formats = append(r.formats, f)
}

func (r *Registry) find(name string) (Format, bool) {
	for _, f := range r.formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Lookup returns the format called name, or an *UnknownFormatError
// listing the registered names.
func (r *Registry) Lookup(name string) (Format, error) {
	if f, ok := r.find(name); ok {
		return f, nil
	}
	return Format{}, &UnknownFormatError{Name: name, Known: r.Names()}
}

// Names returns the registered names in registration order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.formats))
	for i, f := range r.formats {
		out[i] = f.Name
	}
	return out
}

// Formats returns the registered formats in registration order.
func (r *Registry) Formats() []Format {
	return append([]Format(nil), r.formats...)
}

package cvat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/imagefile"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"github.com/rigsync/rigsync/fusion/writers/internal/pcdfile"
)

// ManifestName is the resume manifest's file name in a CVAT folder.
const ManifestName = "rigsync_manifest.jsonl"

// Options configure a Writer.
type Options struct {
	// Force, Resume and Sync are outdir's options.
	Force, Resume, Sync bool
}

// Writer is a fused.Sink writing the CVAT layout. It is not safe for
// concurrent use.
type Writer struct {
	dir     *outdir.Dir
	resume  bool
	names   *outdir.Names
	labels  []labels.Frame // fuse --labels (nil: none)
	written int
	skipped int
}

var _ fused.Sink = (*Writer)(nil)

// New opens root for writing.
func New(root string, opts Options) (*Writer, error) {
	d, err := outdir.Open(root, outdir.Options{Force: opts.Force, Resume: opts.Resume, Sync: opts.Sync, Manifest: ManifestName})
	if err != nil {
		return nil, fmt.Errorf("cvat: %w", err)
	}
	return &Writer{dir: d, resume: opts.Resume, names: outdir.NewNames()}, nil
}

// Stats returns how many frames were written and how many skipped (Resume).
func (w *Writer) Stats() (written, skipped int) { return w.written, w.skipped }

// Write writes one frame.
func (w *Writer) Write(ctx context.Context, f *fused.Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fused.CheckFrame(f); err != nil {
		return fmt.Errorf("cvat: %w", err)
	}
	stems := make([]string, len(f.Cameras))
	for i, c := range f.Cameras {
		stems[i] = w.names.Get(c.Name)
	}
	if f.Labels != nil {
		w.labels = append(w.labels, labels.Frame{Index: f.Index, Token: fmt.Sprintf("%06d", f.Index), StampNS: f.Stamp, Boxes: f.Labels})
	}
	if w.dir.Done(f.Index) {
		if !w.resume {
			return fmt.Errorf("cvat: frame %d written twice", f.Index)
		}
		w.skipped++
		return nil
	}
	name := fmt.Sprintf("%06d", f.Index)
	pcd, err := pcdfile.XYZI(f.Lidar)
	if err != nil {
		return fmt.Errorf("cvat: frame %d: %w", f.Index, err)
	}
	// Images first: the point cloud is what CVAT lists, so it comes last.
	for i, c := range f.Cameras {
		data, ext, _, err := imagefile.Bytes(c.Image, 95)
		if err != nil {
			return fmt.Errorf("cvat: frame %d: camera %q: %w", f.Index, c.Name, err)
		}
		if data == nil {
			continue
		}
		if err := w.dir.WriteFile("related_images/"+name+"_pcd/"+stems[i]+ext, data); err != nil {
			return fmt.Errorf("cvat: frame %d: %w", f.Index, err)
		}
	}
	if err := w.dir.WriteFile("pointcloud/"+name+".pcd", pcd); err != nil {
		return fmt.Errorf("cvat: frame %d: %w", f.Index, err)
	}
	line, _ := json.Marshal(struct {
		Index   int   `json:"index"`
		StampNs int64 `json:"stamp_ns"`
	}{f.Index, f.Stamp})
	if err := w.dir.Commit(f.Index, line); err != nil {
		return fmt.Errorf("cvat: frame %d: %w", f.Index, err)
	}
	w.written++
	return nil
}

// Close writes the labels' tracklet_labels.xml and frame_list.txt (fuse
// --labels only) and closes the manifest.
func (w *Writer) Close() error {
	if w.labels != nil {
		if err := w.writeLabels(); err != nil {
			w.dir.Close()
			return fmt.Errorf("cvat: labels: %w", err)
		}
	}
	if err := w.dir.Close(); err != nil {
		return fmt.Errorf("cvat: %w", err)
	}
	return nil
}

// writeLabels writes the labels as CVAT's "Kitti Raw Format 1.0"
// annotations (formats/labels.WriteCVAT): tracklet_labels.xml and
// frame_list.txt ("<frame> <NNNNNN>"), boxes in the point cloud's frame.
// Zip the two files and import them as annotations into the task made
// from pointcloud/ and related_images/.
func (w *Writer) writeLabels() error {
	var xml, list bytes.Buffer
	if err := labels.WriteCVAT(&xml, &list, &labels.Set{Frames: w.labels}); err != nil {
		return err
	}
	if err := w.dir.WriteFile("tracklet_labels.xml", xml.Bytes()); err != nil {
		return err
	}
	return w.dir.WriteFile("frame_list.txt", list.Bytes())
}

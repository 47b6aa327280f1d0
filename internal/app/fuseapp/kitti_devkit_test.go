package fuseapp_test

import (
	"bufio"
	"fmt"
	"image"
	_ "image/jpeg" // image_2 files
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
)

// kittiMatrix reads the numbers after "key:" in a KITTI calib file, the
// way the KITTI object devkit's readCalibration does.
func kittiMatrix(t *testing.T, path, key string, n int) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != key {
			continue
		}
		var out []float64
		for _, s := range strings.Fields(rest) {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s %s: %v", path, key, err)
			}
			out = append(out, v)
		}
		if len(out) != n {
			t.Fatalf("%s %s: %d numbers, want %d", path, key, len(out), n)
		}
		return out
	}
	t.Fatalf("%s: no %s", path, key)
	return nil
}

// TestKITTILabelsAsTheDevkitReadsThem reads fuse --labels' KITTI label_2
// files with nothing of rigsync's: each line split into the 15 fields of
// the KITTI object devkit's readme (type truncated occluded alpha left top
// right bottom h w l x y z rotation_y; x y z the bottom-face centre in the
// rectified camera frame), the box centre taken back to base_link through
// R0_rect and Tr_velo_to_cam as read from calib/. Every field must be in its documented range, alpha =
// rotation_y − atan2(x, z), the centres and sizes must be the true
// labels' (1 cm, 1e-5 m), and the 2D box must be the true box projected
// through the calib file's matrices and clipped (0.006 px: two decimals).
// The 2D box is the true box's outline in the image: label_2's 3D box is
// upright in the camera frame, and with the fixture cameras pitched 2°
// the devkit's drawing of it differs from the image by up to ~25 px at
// the top of a near car (noted in the session 6 closing note).
func TestKITTILabelsAsTheDevkitReadsThem(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and fuses a drive")
	}
	dir, truth, sensors := labelledDrive(t)
	fuseLabels(t, dir, "kitti")
	out := filepath.Join(dir, "kitti")
	lidar := sensors.Sensor("lidar_top").Extrinsic
	Tbl, err := se3.FromQuatXYZW(lidar.RotationXYZW[0], lidar.RotationXYZW[1], lidar.RotationXYZW[2], lidar.RotationXYZW[3],
		r3.Vec{X: lidar.Translation[0], Y: lidar.Translation[1], Z: lidar.Translation[2]})
	if err != nil {
		t.Fatal(err)
	}
	Tlb := Tbl.Inverse() // T_lidar_base
	boxes := 0
	for fi := range truth.Frames {
		want := truth.Frames[fi].Boxes
		name := fmt.Sprintf("%06d", fi)
		calib := filepath.Join(out, "calib", name+".txt")
		P2 := kittiMatrix(t, calib, "P2", 12)
		R0 := kittiMatrix(t, calib, "R0_rect", 9)
		Tr := kittiMatrix(t, calib, "Tr_velo_to_cam", 12)
		imf, err := os.Open(filepath.Join(out, "image_2", name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, err := image.DecodeConfig(imf)
		imf.Close()
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(out, "label_2", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(want) == 0 && strings.TrimSpace(string(data)) == "" {
			continue
		}
		if len(lines) != len(want) {
			t.Fatalf("%s: %d lines, %d true boxes", name, len(lines), len(want))
		}
		for i, line := range lines {
			f := strings.Fields(line)
			if len(f) != 15 {
				t.Fatalf("%s line %d: %d fields, the devkit reads 15: %q", name, i+1, len(f), line)
			}
			v := make([]float64, 15)
			for k := 1; k < 15; k++ {
				if v[k], err = strconv.ParseFloat(f[k], 64); err != nil {
					t.Fatalf("%s line %d field %d: %v", name, i+1, k+1, err)
				}
			}
			trunc, occ, alpha := v[1], v[2], v[3]
			left, top, right, bottom := v[4], v[5], v[6], v[7]
			h, w, l := v[8], v[9], v[10]
			x, y, z, ry := v[11], v[12], v[13], v[14]
			if f[0] == "" || trunc < 0 || trunc > 1 || (occ != 0 && occ != 1 && occ != 2 && occ != 3) ||
				math.Abs(alpha) > math.Pi || math.Abs(ry) > math.Pi || h <= 0 || w <= 0 || l <= 0 {
				t.Errorf("%s line %d: a field outside the devkit's range: %q", name, i+1, line)
			}
			wrap := func(a float64) float64 { return math.Remainder(a, 2*math.Pi) }
			if d := wrap(alpha - (ry - math.Atan2(x, z))); math.Abs(d) > 1e-5 {
				t.Errorf("%s line %d: alpha %g, rotation_y − atan2(x, z) = %g", name, i+1, alpha, ry-math.Atan2(x, z))
			}
			// The 2D box: the true box's 8 corners through Tr_velo_to_cam,
			// R0_rect and P2 as read from calib/, clipped to the image.
			tb := want[i]
			minU, minV, maxU, maxV := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
			behind := false
			for _, pb := range tb.Corners() {
				pv := Tlb.Apply(pb)
				pc := r3.Vec{X: Tr[0]*pv.X + Tr[1]*pv.Y + Tr[2]*pv.Z + Tr[3], Y: Tr[4]*pv.X + Tr[5]*pv.Y + Tr[6]*pv.Z + Tr[7], Z: Tr[8]*pv.X + Tr[9]*pv.Y + Tr[10]*pv.Z + Tr[11]}
				pr := r3.Vec{X: R0[0]*pc.X + R0[1]*pc.Y + R0[2]*pc.Z, Y: R0[3]*pc.X + R0[4]*pc.Y + R0[5]*pc.Z, Z: R0[6]*pc.X + R0[7]*pc.Y + R0[8]*pc.Z}
				pw := P2[8]*pr.X + P2[9]*pr.Y + P2[10]*pr.Z + P2[11]
				if pw <= 1e-6 {
					behind = true
					break
				}
				u, vv := (P2[0]*pr.X+P2[1]*pr.Y+P2[2]*pr.Z+P2[3])/pw, (P2[4]*pr.X+P2[5]*pr.Y+P2[6]*pr.Z+P2[7])/pw
				minU, maxU, minV, maxV = math.Min(minU, u), math.Max(maxU, u), math.Min(minV, vv), math.Max(maxV, vv)
			}
			W, H := float64(cfg.Width-1), float64(cfg.Height-1)
			if !behind && minU < W && maxU > 0 && minV < H && maxV > 0 {
				exp := [4]float64{math.Max(minU, 0), math.Max(minV, 0), math.Min(maxU, W), math.Min(maxV, H)}
				got := [4]float64{left, top, right, bottom}
				for k := range 4 {
					if math.Abs(got[k]-exp[k]) > 0.006 {
						t.Errorf("%s line %d: 2D box %v, the true box projects to %v", name, i+1, got, exp)
						break
					}
				}
			} else if left != 0 || top != 0 || right != 0 || bottom != 0 || trunc != 1 {
				t.Errorf("%s line %d: out of view, but 2D box %v truncated %g", name, i+1, [4]float64{left, top, right, bottom}, trunc)
			}
			// The centre back to the velodyne frame, then base_link.
			pr := r3.Vec{X: x, Y: y - h/2, Z: z}
			pc := r3.Vec{ // R0_rect⁻¹ = R0_rectᵀ
				X: R0[0]*pr.X + R0[3]*pr.Y + R0[6]*pr.Z,
				Y: R0[1]*pr.X + R0[4]*pr.Y + R0[7]*pr.Z,
				Z: R0[2]*pr.X + R0[5]*pr.Y + R0[8]*pr.Z}
			d := r3.Vec{X: pc.X - Tr[3], Y: pc.Y - Tr[7], Z: pc.Z - Tr[11]}
			pv := r3.Vec{ // Tr rotation transposed
				X: Tr[0]*d.X + Tr[4]*d.Y + Tr[8]*d.Z,
				Y: Tr[1]*d.X + Tr[5]*d.Y + Tr[9]*d.Z,
				Z: Tr[2]*d.X + Tr[6]*d.Y + Tr[10]*d.Z}
			pb := Tbl.Apply(pv)
			if e := r3.Norm(r3.Sub(pb, tb.Center)); e > 0.01 {
				t.Errorf("%s line %d: centre %v in base_link, truth %v (%.3f m off)", name, i+1, pb, tb.Center, e)
			}
			if math.Abs(h-tb.Size.Height) > 1e-5 || math.Abs(w-tb.Size.Width) > 1e-5 || math.Abs(l-tb.Size.Length) > 1e-5 {
				t.Errorf("%s line %d: h w l %g %g %g, truth %+v", name, i+1, h, w, l, tb.Size)
			}
			boxes++
		}
	}
	if boxes < 20 {
		t.Fatalf("only %d boxes read", boxes)
	}
	t.Logf("%d boxes in %d label_2 files read as the KITTI devkit reads them", boxes, len(truth.Frames))
}

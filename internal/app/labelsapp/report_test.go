package labelsapp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fusion/labelcheck"
	"github.com/rigsync/rigsync/internal/browsertest"
)

// TestReportInBrowser: the labels check report of a drive with a shifted
// box opens in headless Chromium without an error, says "wrong" on a red
// banner and draws a top view of the worst boxes and the camera view of
// the camera findings; report.json is the --json document.
func TestReportInBrowser(t *testing.T) {
	log, lp, _, _, lft := genLabelled(t, "urban", 1, 2*time.Second, true, "shift=0,0.5")
	res, err := Run(context.Background(), Options{Logs: []string{log}, Labels: lp, Check: labelcheck.Options{CameraEvery: 1}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "report")
	if err := WriteReport(dir, res, []string{log, lp}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`<svg `)) || bytes.Contains(page, []byte("<script")) || bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) {
		t.Fatal("the page is not self-contained with its top views")
	}
	if !strings.Contains(string(page), "box "+lft[0].ID+" car") {
		t.Errorf("the top views do not show the shifted box %s", lft[0].ID)
	}
	if !strings.Contains(string(page), `<image href="data:image/png;base64,`) || !strings.Contains(string(page), "box "+lft[0].ID+" car in cam_") {
		t.Errorf("no camera view of the shifted box %s (camera check %+v)", lft[0].ID, res.Cameras)
	}
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil || !bytes.Contains(js, []byte(`"verdict": "wrong"`)) {
		t.Errorf("report.json: %v %.200s", err, js)
	}
	if err := WriteReport(filepath.Dir(lp), res, []string{log, lp}); err == nil {
		t.Error("--report into the folder holding the labels was not refused")
	}
	bin := browsertest.Chromium(t)
	b := browsertest.Render(t, bin, page)
	if b.Errors != 0 || len(b.Console) != 0 || b.ImagesBad != "" {
		t.Errorf("browser: %d errors (%s), console %v, bad images %q", b.Errors, b.ErrorText, b.Console, b.ImagesBad)
	}
	if b.BannerBG != "rgb(198, 40, 40)" {
		t.Errorf("verdict banner %q, want red rgb(198, 40, 40)", b.BannerBG)
	}
}

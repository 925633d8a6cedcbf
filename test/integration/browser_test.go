//go:build integration

package integration

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumFlags run Debian's Chromium headless as root on a machine with a
// closed network, with a fresh profile.
func chromiumFlags(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1400,2000", "--enable-logging=stderr", "--v=0"}
}

// checkInChromium opens url in headless Chromium and checks that the page
// renders without console errors, that its DOM names every want, that its
// charts are drawn, and that a screenshot is not blank.
func checkInChromium(t *testing.T, url string, want []string) {
	t.Helper()
	chromium := tool(t, "chromium")
	run := func(args ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chromium, append(chromiumFlags(t), args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}

	dom, logs := run("--dump-dom", url)
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, ":CONSOLE") {
			t.Errorf("console message: %s", line)
		}
	}
	for _, w := range want {
		if !strings.Contains(dom, w) {
			t.Errorf("the rendered page does not contain %q", w)
		}
	}
	if n := strings.Count(dom, `<path class="line`); n < 5 {
		t.Errorf("%d chart lines drawn, want one per signal chart", n)
	}

	shot := filepath.Join(t.TempDir(), "page.png")
	run("--screenshot="+shot, url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Not blank: a real page has many pixels that differ from its background.
	b := img.Bounds()
	bg := img.At(b.Min.X, b.Min.Y)
	differ, total := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			total++
			if img.At(x, y) != bg {
				differ++
			}
		}
	}
	if differ < total/50 {
		t.Errorf("the screenshot is nearly blank: %d of %d sampled pixels differ from the background", differ, total)
	}
	if dir := os.Getenv("PACER_SCREENSHOTS"); dir != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".png"), data, 0o644)
	}
}

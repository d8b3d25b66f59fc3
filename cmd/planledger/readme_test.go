package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestREADMETour runs the README's planning-year tour with bash and curl
// against a real server, so the commands users copy keep working. Every
// request must succeed except those the tour marks "# expect NNN", which
// must fail with that status, in that order.
func TestREADMETour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the whole tour")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README tour needs %s: %v", tool, err)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	tour := tourBlock(t, string(readme))

	work := t.TempDir()
	bin := buildPlanledger(t)
	if err := os.Symlink(bin, filepath.Join(work, "planledger")); err != nil {
		t.Fatal(err)
	}
	srv, base := testServer(t, filepath.Join(work, "planledger-data"))
	defer srv.Close(context.Background())

	// The wrapper prints each response's status after its body, so the
	// test can read the statuses in order.
	script := "set -eu\ncurl() { command curl -w '\\n@@status %{http_code}\\n' \"$@\"; }\n" +
		strings.ReplaceAll(tour, "localhost:8080", strings.TrimPrefix(base, "http://"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = work
	cmd.Env = tourEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run the tour: %v\nstderr:\n%s", err, stderr.String())
	}

	statuses := regexp.MustCompile(`@@status (\d+)`).FindAllStringSubmatch(string(out), -1)
	var wantFailures []string
	for _, m := range regexp.MustCompile(`# expect (\d{3})`).FindAllStringSubmatch(tour, -1) {
		wantFailures = append(wantFailures, m[1])
	}
	var failures []string
	for _, m := range statuses {
		code, _ := strconv.Atoi(m[1])
		if code < 200 || code > 299 {
			failures = append(failures, m[1])
		}
	}
	if len(statuses) < 40 {
		t.Errorf("the tour made %d requests; want the whole walk (at least 40)", len(statuses))
	}
	if strings.Join(failures, ",") != strings.Join(wantFailures, ",") {
		t.Errorf("failed requests had statuses %v, want only the marked %v\noutput:\n%s", failures, wantFailures, out)
	}
	for _, name := range []string{"review.pdf", "sip.pdf"} {
		body, err := os.ReadFile(filepath.Join(work, name))
		if err != nil || !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Errorf("%s is not a PDF (err %v)", name, err)
		}
	}
	if html, err := os.ReadFile(filepath.Join(work, "sip.html")); err != nil || !bytes.Contains(html, []byte(`<html lang="en"`)) {
		t.Errorf("sip.html is not the accessible plan document (err %v)", err)
	}
}

// tourBlock returns the shell code between the README's tour markers.
func tourBlock(t *testing.T, readme string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "<!-- tour:start -->")
	if !ok {
		t.Fatal("README.md has no <!-- tour:start --> marker")
	}
	block, _, ok := strings.Cut(rest, "<!-- tour:end -->")
	if !ok {
		t.Fatal("README.md has no <!-- tour:end --> marker")
	}
	block = strings.TrimSpace(block)
	block = strings.TrimPrefix(block, "```sh")
	return strings.TrimSuffix(block, "```")
}

// tourEnv is the test's environment without PLANLEDGER_ variables, so the
// token command reads the development key from ./planledger-data as a
// user's would.
func tourEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLANLEDGER_") {
			env = append(env, kv)
		}
	}
	return env
}

package auth_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/planledger/planledger/auth"
)

func TestDevSecretCreatedThenReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, path, created, err := auth.LoadOrCreateDevSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("first call did not report creating the secret")
	}
	if path != filepath.Join(dir, auth.DevSecretFileName) {
		t.Errorf("path %s, want %s in the data folder", path, auth.DevSecretFileName)
	}
	raw, err := hex.DecodeString(string(first))
	if err != nil || len(raw) != 32 {
		t.Errorf("secret %q is not 32 hex-encoded bytes (%v)", first, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %o, want 600", perm)
	}

	second, _, created, err := auth.LoadOrCreateDevSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("second call created the secret again")
	}
	if !bytes.Equal(first, second) {
		t.Error("second call returned another secret")
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left in the data folder: %v", leftovers)
	}
}

func TestDevSecretConcurrentStartsAgree(t *testing.T) {
	dir := t.TempDir()
	const starts = 8
	secrets := make([][]byte, starts)
	errs := make([]error, starts)
	var wg sync.WaitGroup
	for i := range starts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secrets[i], _, _, errs[i] = auth.LoadOrCreateDevSecret(dir)
		}()
	}
	wg.Wait()
	for i := range starts {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if !bytes.Equal(secrets[i], secrets[0]) {
			t.Errorf("start %d got another secret than start 0", i)
		}
	}
}

func TestDevSecretReadableByOthersRejected(t *testing.T) {
	dir := t.TempDir()
	_, path, _, err := auth.LoadOrCreateDevSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = auth.LoadOrCreateDevSecret(dir)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: %v, want an error saying chmod 600", err)
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	text := strings.Repeat("ab", 32)
	if err := os.WriteFile(path, []byte("  "+text+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	secret, exposed, err := auth.ReadSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(secret) != text {
		t.Errorf("secret %q, want the file's text without surrounding whitespace", secret)
	}
	if !exposed {
		t.Error("mode 640 not reported as readable by others")
	}

	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.ReadSecretFile(path); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("short secret: %v, want an error naming 32 bytes", err)
	}
	if _, _, err := auth.ReadSecretFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("folder as secret: %v, want not a regular file", err)
	}
	if _, _, err := auth.ReadSecretFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file was read")
	}
}

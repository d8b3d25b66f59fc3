package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DevSecretFileName is the development signing secret's file in the
// embedded store's data folder.
const DevSecretFileName = "dev-auth-secret"

// devSecretBytes is the number of random bytes in a development secret.
const devSecretBytes = 32

// ReadSecretFile returns the HMAC secret in path: the file's text with
// surrounding whitespace removed, used as is (not decoded), so
// "openssl rand -hex 32 > FILE" makes a valid 64-byte secret. It also
// reports whether group or others may read the file.
func ReadSecretFile(path string) (secret []byte, exposed bool, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("read signing secret: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, false, fmt.Errorf("read signing secret: %s is not a regular file", path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read signing secret: %w", err)
	}
	secret = bytes.TrimSpace(raw)
	if len(secret) < MinSecretBytes {
		return nil, false, fmt.Errorf("signing secret in %s is %d bytes; HS256 needs at least %d, "+
			"such as the output of openssl rand -hex 32", path, len(secret), MinSecretBytes)
	}
	return secret, info.Mode().Perm()&0o077 != 0, nil
}

// LoadOrCreateDevSecret returns the development secret in dir, creating
// it with 32 random bytes, hex-encoded, in a file only the owner may read
// when there is none. created reports whether this call made it. Two
// processes that start at once end up with the same secret, because the
// file appears whole under its final name or not at all.
func LoadOrCreateDevSecret(dir string) (secret []byte, path string, created bool, err error) {
	path = filepath.Join(dir, DevSecretFileName)
	if secret, err := readDevSecret(path); err == nil {
		return secret, path, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, path, false, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, path, false, fmt.Errorf("create data folder %s for the development signing secret: %w", dir, err)
	}
	random := make([]byte, devSecretBytes)
	if _, err := rand.Read(random); err != nil {
		return nil, path, false, fmt.Errorf("generate development signing secret: %w", err)
	}
	encoded := []byte(hex.EncodeToString(random) + "\n")
	if err := writeNew(path, encoded); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, path, false, err
		}
		// Another process created it first; use that one.
		secret, err := readDevSecret(path)
		return secret, path, false, err
	}
	return bytes.TrimSpace(encoded), path, true, nil
}

func readDevSecret(path string) ([]byte, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	secret, exposed, err := ReadSecretFile(path)
	if err != nil {
		return nil, err
	}
	if exposed {
		return nil, fmt.Errorf("development signing secret %s may be read by other users; run chmod 600 %s", path, path)
	}
	return secret, nil
}

// writeNew writes data to a temporary file beside path and links it to
// path, which fails with fs.ErrExist if path exists. A reader therefore
// never reads a partly written secret.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+DevSecretFileName+"-*")
	if err != nil {
		return fmt.Errorf("create development signing secret: %w", err)
	}
	// CreateTemp makes the file readable by its owner only (0600).
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write development signing secret: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write development signing secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write development signing secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("create development signing secret %s: %w", path, err)
	}
	return nil
}

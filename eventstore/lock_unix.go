//go:build unix

package eventstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockStoreDir takes an exclusive flock on LockFileName in dir, creating the
// folder and the file when missing, and writes this process's pid into it.
// It fails at once with a *StoreDirInUseError when another process holds
// the lock. The kernel drops the lock when the process exits, so a crash
// leaves no stale lock behind.
func lockStoreDir(dir string) (*storeLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create store folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFileName)
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readLockPID(file)
		file.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &StoreDirInUseError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := writeLockPID(file); err != nil {
		file.Close()
		return nil, fmt.Errorf("write pid to %s: %w", path, err)
	}
	return &storeLock{file: file}, nil
}

// release empties the pid while the lock is still held, so a later reader
// never sees a stale pid, and then unlocks and closes the file. The file
// stays in place because removing it would let two processes lock
// different files under the same name.
func (l *storeLock) release() error {
	truncErr := l.file.Truncate(0)
	unlockErr := syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
	closeErr := l.file.Close()
	return errors.Join(truncErr, unlockErr, closeErr)
}

func writeLockPID(file *os.File) error {
	if err := file.Truncate(0); err != nil {
		return err
	}
	_, err := file.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readLockPID returns the pid written by the lock holder, or 0 when the
// file is empty or unreadable, for example while the holder is still
// writing it.
func readLockPID(file *os.File) int {
	data, err := io.ReadAll(io.NewSectionReader(file, 0, 32))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

//go:build !unix

package eventstore

// lockStoreDir takes no lock on this platform, because syscall has no
// flock outside unix.
//
// NOTE: two processes can still open the same store folder here, and the
// second one's events are lost.
func lockStoreDir(string) (*storeLock, error) {
	return &storeLock{}, nil
}

func (l *storeLock) release() error {
	return nil
}

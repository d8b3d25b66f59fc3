//go:build !linux

package eventstore_test

import "os/exec"

// killWithTestProcess does nothing outside Linux, where a test killed by
// its timeout can leave cmd's process running until it exits by itself.
func killWithTestProcess(*exec.Cmd) {}

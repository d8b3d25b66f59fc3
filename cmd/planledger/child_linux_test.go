package main

import (
	"os/exec"
	"syscall"
)

// killWithTestProcess makes Linux send SIGKILL to cmd's process when the
// test process dies, so a test killed by its timeout leaves no server or
// import running.
func killWithTestProcess(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

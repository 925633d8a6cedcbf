package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopTimeout is how long a component has to exit after SIGTERM before
// its process group gets SIGKILL.
const stopTimeout = 15 * time.Second

// process is one running component in its own process group, its output
// going to a log file.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	cancel  context.CancelFunc // sends SIGTERM
	exited  chan struct{}      // closed once cmd.Wait returned
	err     error              // what cmd.Wait returned, read after exited
}

// startProcess starts binary with args in its own process group with its
// stdout and stderr in dir/name.log. It outlives ctx: stop ends it. The
// kernel sends it SIGKILL if the test process dies first.
func startProcess(ctx context.Context, dir, name, binary string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the log of %s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Canceling sends SIGTERM to the group; WaitDelay later, SIGKILL to the leader.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = stopTimeout
	if err := cmd.Start(); err != nil {
		cancel()
		_ = log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, cancel: cancel, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the process id, which is also its process group id.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// exitErr reports whether the process has exited, and how.
func (p *process) exitErr() (bool, error) {
	select {
	case <-p.exited:
		if p.err == nil {
			return true, fmt.Errorf("%s exited", p.name)
		}
		return true, fmt.Errorf("%s exited: %w", p.name, p.err)
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the process group and, after stopTimeout,
// SIGKILL, then kills what is left of the group. It returns an error when
// the process had exited before it was asked to, or had to be killed.
func (p *process) stop() error {
	exitedBefore, exitErr := p.exitErr()
	p.cancel()
	<-p.exited
	p.killGroup()
	if exitedBefore {
		return fmt.Errorf("before it was stopped: %w", exitErr)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return fmt.Errorf("%s did not exit within %s of SIGTERM and was killed", p.name, stopTimeout)
		}
	}
	return nil
}

// killGroup sends SIGKILL to what is left of the process group.
func (p *process) killGroup() {
	if err := syscall.Kill(-p.Pid(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = p.cmd.Process.Kill()
	}
}

// logTail returns up to the last n bytes of the process's log.
func (p *process) logTail(n int64) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	prefix := ""
	if size := info.Size(); size > n {
		if _, err := f.Seek(size-n, io.SeekStart); err != nil {
			return fmt.Sprintf("(no log: %v)", err)
		}
		prefix = fmt.Sprintf("[… %d earlier bytes]\n", size-n)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return prefix + string(data)
}

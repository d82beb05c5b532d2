//go:build unix

package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// heldError: another process holds the data folder's lock.
type heldError struct{ pid int }

func (e *heldError) Error() string { return "data folder locked" + e.by() }

func (e *heldError) by() string {
	if e.pid > 0 {
		return " (pid " + strconv.Itoa(e.pid) + ")"
	}
	return ""
}

// lockDataDir takes an exclusive flock on path (created if missing) and writes our pid into it. The lock
// goes with the process, however it ends, so a killed engine never leaves a stale lock behind. Keep the
// returned file open for as long as the engine runs.
func lockDataDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
			return nil, &heldError{pid: pid}
		}
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

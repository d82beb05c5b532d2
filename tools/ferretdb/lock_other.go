//go:build !unix

package main

import "os"

type heldError struct{ pid int }

func (e *heldError) Error() string { return "data folder locked" }
func (e *heldError) by() string    { return "" }

// lockDataDir: no flock here; the engine is meant for unix systems.
func lockDataDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}

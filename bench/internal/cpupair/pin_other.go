//go:build !linux

package cpupair

import (
	"errors"
	"fmt"
)

// Start fails: pinning threads to CPUs is implemented for Linux only.
func Start(cpu int) (*Worker, error) {
	return nil, fmt.Errorf("cpupair: pinning a thread to CPU %d: %w", cpu, errors.ErrUnsupported)
}

//go:build unix

package weights

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// readFile maps path into memory on 64-bit hosts (where address space is
// plentiful) and reads it whole elsewhere. release undoes the mapping; it
// must only be called when nothing aliases data.
func readFile(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if unsafe.Sizeof(uintptr(0)) < 8 || !fi.Mode().IsRegular() || size < preambleSize || size > 1<<40 {
		data, err := os.ReadFile(path)
		return data, func() {}, err
	}
	// MAP_PRIVATE with PROT_WRITE: a stray write to a tensor changes the
	// process's copy of the page, never the file, and does not fault.
	data, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return data, func() { syscall.Munmap(data) }, nil
}

package weights

import (
	"errors"
	"hash/crc32"
	"unsafe"
)

// The on-disk layout is specified in FORMAT.md; this file holds the
// constants both the writer and the loader use.

// Version is the format version this package writes. Load accepts exactly
// this version; see FORMAT.md for the version policy.
const Version = 1

const (
	magic        = "\x89FGW\r\n\x1a\n" // PNG-style: catches text-mode and 7-bit transfers
	preambleSize = 64
	align        = 64 // every tensor, and the data section, starts at a multiple of this
)

// Limits. They bound what a file may declare, so that the memory a loader
// allocates stays proportional to the file's size, and keep every count and
// size far from integer overflow on 32-bit hosts. FORMAT.md lists them.
const (
	maxRank        = 8
	maxElements    = 1<<31 - 1 // per tensor; also the bound on the product of a shape's non-zero dims
	maxString      = 1 << 16   // bytes in any string
	maxValueInfos  = 1 << 16   // graph inputs, graph outputs
	maxTensors     = 1 << 20   // graph tensors
	maxNodes       = 1 << 20
	maxNodeIO      = 1 << 16 // inputs or outputs of one node
	maxAttrs       = 1 << 10 // attributes of one node
	maxAttrList    = 1 << 24 // elements of an ints/floats/strings attribute
	maxMetaFloats  = 1 << 10 // Metadata.Mean, Metadata.Std
	maxMetaExtra   = 1 << 10 // Metadata.Extra entries
	maxHeaderBytes = 1 << 30
)

// Sentinel errors. Every error about the content of a file or a Model wraps
// exactly one of them, so callers can branch with errors.Is; I/O errors
// (a missing file, a failed write) are wrapped as they come.
var (
	// ErrFormat means the bytes are not a facegate model file at all (wrong
	// magic): the caller may try another format.
	ErrFormat = errors.New("not a facegate model file")
	// ErrVersion means the file is a facegate model of a format version (or
	// with feature flags) this build does not understand: upgrade facegate
	// or re-convert the model.
	ErrVersion = errors.New("unsupported format version")
	// ErrCorrupt means the file is damaged: truncated, a checksum does not
	// match, or an offset or count points outside the file.
	ErrCorrupt = errors.New("corrupt model file")
	// ErrInvalid means the model itself is inconsistent (undefined or
	// duplicate names, nodes out of topological order, bad shapes, data not
	// matching a shape, limits exceeded). Write returns it for a Model it
	// refuses to store; Read for a well-formed file describing such a model.
	ErrInvalid = errors.New("invalid model")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// littleEndian reports whether the host stores integers little-endian, in
// which case tensor data can be used in place.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// elemSize is the size in bytes of one element of d, or 0 for an invalid d.
func elemSize(d DType) int64 {
	switch d {
	case Float32:
		return 4
	case Int64:
		return 8
	}
	return 0
}

// alignUp rounds n up to a multiple of align. n must be below 1<<62.
func alignUp(n uint64) uint64 {
	return (n + align - 1) &^ (align - 1)
}

//go:build race

package engine

// raceEnabled: under the race detector sync.Pool drops items on purpose,
// so the kernels' pooled job values are reallocated and allocation counts
// mean nothing.
const raceEnabled = true

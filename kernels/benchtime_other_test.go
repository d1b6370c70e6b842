//go:build !unix

package kernels

// ktCPUSeconds is unavailable here; CPU-time metrics are then omitted.
func ktCPUSeconds() float64 { return 0 }

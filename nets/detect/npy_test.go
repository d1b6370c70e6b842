package detect

import (
	"testing"

	"github.com/facegate/facegate/weights/npy"
)

// readNPY reads a float32 .npy file (golden ONNX Runtime data).
func readNPY(t *testing.T, path string) []float32 {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a.Data
}

package embed

import (
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"
)

// readNPY reads a little-endian float32 .npy file (golden ONNX Runtime
// outputs). Local to the tests until weights/npy lands.
func readNPY(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[1:6]) != "NUMPY" {
		t.Fatalf("%s: not npy", path)
	}
	var hl, off int
	if b[6] == 1 {
		hl, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	} else {
		hl, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	if !strings.Contains(string(b[off:off+hl]), "'<f4'") {
		t.Fatalf("%s: not float32", path)
	}
	body := b[off+hl:]
	out := make([]float32, len(body)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return out
}

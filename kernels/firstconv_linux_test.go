//go:build (amd64 || arm64) && !noasm && gc

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestFirstBlockReadsStayInBounds runs each level's first-layer block
// kernel on operands that end at a guard page: the output's last plane, the
// weights, bias and slopes, and the last tap row's odd phase (the usual
// layout, E before O) or even phase (O before E, a negative half) end
// exactly where they may, so one access too far crashes the test.
func TestFirstBlockReadsStayInBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, k := range firstBlockKernels() {
		for cin := 1; cin <= 4; cin++ {
			for _, blocks := range []int{1, 3} {
				for _, evenLast := range []bool{false, true} {
					n := blocks * k.width
					// E needs n+1 values, O n; a row is both, back to back.
					pitch := 2*n + 1
					cstride := 3*pitch + 1
					size := (cin-1)*cstride + 2*pitch + 2*n + 1
					in := pageEndFloats(t, r, size)
					half, first := n+1, 0 // [E | O]: O ends the buffer
					if evenLast {
						half, first = -n, n // [O | E]: E ends it
					}
					ldo := n + 1
					out := pageEndFloats(t, r, (k.ocb-1)*ldo+n)
					w := pageEndFloats(t, r, cin*9*k.ocb)
					bias, slope := pageEndFloats(t, r, k.ocb), pageEndFloats(t, r, k.ocb)
					for flags := uint(1); flags <= 2; flags++ {
						k.fn(&out[0], ldo, &in[first], pitch, half, cstride, cin, &w[0], &bias[0], &slope[0], blocks, flags, &in[0], cstride)
					}
				}
			}
		}
	}
}

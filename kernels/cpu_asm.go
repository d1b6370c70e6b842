//go:build (amd64 || arm64) && !noasm && gc

package kernels

// dwBlockFunc computes blocks·width outputs of a depthwise row; flags&1
// applies the activation. Stride-1 kernels read exactly the taps; stride-2
// kernels read one value past the last tap.
type dwBlockFunc func(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

// dwRow3x3Blocks runs as many full vector blocks as the rows' lengths allow
// (a block of stride s reads s·width+2 values from its start, see
// dwBlockFunc) and finishes with scalar code.
func dwRow3x3Blocks(width int, s1, s2 dwBlockFunc, out, r0, r1, r2 []float32, k *[9]float32, stride int, bias, slope float32, activate bool) {
	blocks := 0
	if stride == 1 || stride == 2 {
		avail := min(len(r0), len(r1), len(r2)) - 2
		blocks = max(min(len(out)/width, avail/(stride*width)), 0)
	}
	if blocks > 0 {
		fn, flags := s1, uint(0)
		if stride == 2 {
			fn = s2
		}
		if activate {
			flags = 1
		}
		fn(&out[0], &r0[0], &r1[0], &r2[0], &k[0], blocks, bias, slope, flags)
	}
	done := blocks * width
	if done == len(out) {
		return
	}
	o := done * stride
	dwRow3x3Go(out[done:], r0[o:], r1[o:], r2[o:], k, stride, bias, slope, activate)
}

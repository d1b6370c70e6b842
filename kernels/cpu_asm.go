//go:build (amd64 || arm64) && !noasm && gc

package kernels

// dwBlockFunc computes blocks·width outputs of a depthwise row; flags&1
// applies the activation. A block starting at output x reads the row
// values [s·x, s·(x+width)+2): exactly its taps for stride 1, one value past
// them for stride 2 (the de-interleaving loads are whole vectors).
type dwBlockFunc func(out, r0, r1, r2, k *float32, blocks int, bias, slope float32, flags uint)

// dwRow3x3Blocks is dwRowFunc on top of vector blocks of the given width.
// Rows shorter than a block go to narrow (a smaller vector width, or
// scalar code when nil). Otherwise it runs the full blocks the rows' lengths
// allow and covers the remainder with one more block ending at the last
// output: it overlaps outputs already written, which it recomputes to the
// same values, and so avoids a scalar tail.
func dwRow3x3Blocks(width int, s1, s2 dwBlockFunc, narrow dwRowFunc, out, r0, r1, r2 []float32, k *[9]float32, stride int, bias, slope float32, activate bool) {
	n := len(out)
	if stride != 1 && stride != 2 || n < width {
		if narrow == nil {
			narrow = dwRow3x3Go
		}
		narrow(out, r0, r1, r2, k, stride, bias, slope, activate)
		return
	}
	fn, flags := s1, uint(0)
	if stride == 2 {
		fn = s2
	}
	if activate {
		flags = 1
	}
	// Outputs [0, reach) can be computed by blocks without over-reading.
	reach := (min(len(r0), len(r1), len(r2)) - 2) / stride
	blocks := min(n, reach) / width
	if blocks > 0 {
		fn(&out[0], &r0[0], &r1[0], &r2[0], &k[0], blocks, bias, slope, flags)
	}
	done := blocks * width
	if done == n {
		return
	}
	if x := n - width; reach >= n && x >= 0 {
		o := x * stride
		fn(&out[x], &r0[o], &r1[o], &r2[o], &k[0], 1, bias, slope, flags)
		return
	}
	o := done * stride
	dwRow3x3Go(out[done:], r0[o:], r1[o:], r2[o:], k, stride, bias, slope, activate)
}

// rowBlockFunc is the assembly form of the 2:1 row kernels: blocks·width
// outputs (max2x2: out, r0, r1; deint: even, odd, row).
type rowBlockFunc func(x, y, z *float32, blocks int)

// max2x2Blocks is max2x2RowFunc on top of vector blocks of the given width;
// rows shorter than a block go to the Go kernel.
func max2x2Blocks(width int, fn rowBlockFunc, out, r0, r1 []float32) {
	n := len(out)
	if len(r0) < 2*n || len(r1) < 2*n {
		panic("kernels: max2x2 row too short")
	}
	blocks := n / width
	if blocks == 0 {
		max2x2RowGo(out, r0, r1)
		return
	}
	fn(&out[0], &r0[0], &r1[0], blocks)
	if d := blocks * width; d < n {
		// The rest as one more block ending at the row's end: it
		// recomputes a few outputs to the same values instead of a scalar
		// tail (pooled rows are short: 10 to 80 outputs in YuNet).
		s := n - width
		fn(&out[s], &r0[2*s], &r1[2*s], 1)
	}
}

// deintBlocks is deintRowFunc on top of vector blocks of the given width.
func deintBlocks(width int, fn rowBlockFunc, even, odd, row []float32) {
	n := len(even)
	if len(odd) != n || len(row) < 2*n {
		panic("kernels: deinterleave rows do not match")
	}
	blocks := n / width
	if blocks > 0 {
		fn(&even[0], &odd[0], &row[0], blocks)
	}
	d := blocks * width
	deintRowGo(even[d:], odd[d:], row[2*d:])
}

// addBlocks is addRowFunc on top of vector blocks of the given width.
func addBlocks(width int, fn rowBlockFunc, out, a, b []float32) {
	n := len(out)
	if len(a) < n || len(b) < n {
		panic("kernels: add rows too short")
	}
	blocks := n / width
	if blocks > 0 {
		fn(&out[0], &a[0], &b[0], blocks)
	}
	d := blocks * width
	addRowGo(out[d:], a[d:], b[d:])
}

// sigmoidBlocks is sigmoidRowFunc on top of vector blocks of the given
// width.
func sigmoidBlocks(width int, fn func(out, x *float32, blocks int), out, x []float32) {
	n := len(x)
	if len(out) < n {
		panic("kernels: sigmoid output too short")
	}
	blocks := n / width
	if blocks > 0 {
		fn(&out[0], &x[0], blocks)
	}
	d := blocks * width
	sigmoidRowGo(out[d:n], x[d:])
}

// dupBlocks is dupRowFunc on top of vector blocks of the given width.
func dupBlocks(width int, fn func(out, in *float32, blocks int), out, in []float32) {
	n := len(in)
	if len(out) < 2*n {
		panic("kernels: dup output too short")
	}
	blocks := n / width
	if blocks > 0 {
		fn(&out[0], &in[0], blocks)
	}
	d := blocks * width
	dupRowGo(out[2*d:2*n], in[d:])
}

// preluBlocks is preluRowFunc on top of vector blocks of the given width.
func preluBlocks(width int, fn func(x *float32, blocks int, slope float32), x []float32, slope float32) {
	blocks := len(x) / width
	if blocks > 0 {
		fn(&x[0], blocks, slope)
	}
	preluRowGo(x[blocks*width:], slope)
}

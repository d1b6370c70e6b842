package engine

import (
	"math"

	"github.com/facegate/facegate/kernels"
)

// exec runs one step. Everything it needs was sized at planning time; it
// allocates nothing. Kernels take one image at a time, so batched
// operators loop over the batch here.
func (s *Session) exec(st *step, inputs []*Tensor) {
	in := func(k int) []float32 {
		r := st.in[k]
		if r.gin >= 0 {
			return inputs[r.gin].Data
		}
		return r.buf
	}
	out := st.out.buf
	x := in(0)
	switch st.n.op {
	case "Conv":
		sh := st.inShape[0]
		inSz := sh[1] * sh[2] * sh[3]
		outSz := numel(st.outShape[1:])
		for b := 0; b < sh[0]; b++ {
			st.conv.Run(&s.ctx, x[b*inSz:(b+1)*inSz], sh[2], sh[3], out[b*outSz:(b+1)*outSz])
		}
	case "fg.PointDepth":
		sh := st.inShape[0]
		inSz := sh[1] * sh[2] * sh[3]
		outSz := numel(st.outShape[1:])
		for b := 0; b < sh[0]; b++ {
			st.n.pd.Run(&s.ctx, x[b*inSz:(b+1)*inSz], sh[2], sh[3], out[b*outSz:(b+1)*outSz])
		}
	case "fg.ChannelSlice":
		c0, c1 := st.n.sliceC0, st.n.sliceC1
		blk := (c1 - c0) * st.inner
		for b := 0; b < st.outer; b++ {
			copy(out[b*blk:(b+1)*blk], x[(b*st.axisLen+c0)*st.inner:(b*st.axisLen+c1)*st.inner])
		}
	case "fg.Dense":
		st.n.dense.Run(&s.ctx, x, st.rows, out)
	case "MatMul":
		matmul(x, in(1), st.rows, st.inShape[1][0], st.inShape[1][1], out)
	case "fg.ChannelAffine":
		sc, sh := st.n.scale, st.n.shift
		for b := 0; b < st.outer; b++ {
			for c := 0; c < st.axisLen; c++ {
				off := (b*st.axisLen + c) * st.inner
				a, o := sc[c], sh[c]
				src, dst := x[off:off+st.inner], out[off:off+st.inner]
				for i, v := range src {
					dst[i] = v*a + o
				}
			}
		}
	case "Relu":
		for i, v := range x {
			out[i] = max(v, 0)
		}
	case "Sigmoid":
		kernels.Sigmoid(&s.ctx, x[:len(out)], out)
	case "Tanh":
		for i, v := range x {
			out[i] = float32(math.Tanh(float64(v)))
		}
	case "Exp":
		for i, v := range x {
			out[i] = float32(math.Exp(float64(v)))
		}
	case "Clip":
		lo, hi := st.lo, st.hi
		for i, v := range x {
			out[i] = min(max(v, lo), hi)
		}
	case "LeakyRelu":
		a := st.lo
		for i, v := range x {
			if v < 0 {
				v *= a
			}
			out[i] = v
		}
	case "PRelu":
		if st.perChan {
			for b := 0; b < st.outer; b++ {
				for c := 0; c < st.axisLen; c++ {
					off := (b*st.axisLen + c) * st.inner
					sl := st.slope[c]
					src, dst := x[off:off+st.inner], out[off:off+st.inner]
					for i, v := range src {
						if v < 0 {
							v *= sl
						}
						dst[i] = v
					}
				}
			}
		} else {
			for i, v := range x {
				if v < 0 {
					v *= st.slope[i]
				}
				out[i] = v
			}
		}
	case "Add", "Sub", "Mul", "Div":
		op := kernels.OpAdd
		switch st.n.op {
		case "Sub":
			op = kernels.OpSub
		case "Mul":
			op = kernels.OpMul
		case "Div":
			op = kernels.OpDiv
		}
		kernels.BinaryCtx(&s.ctx, op, x, st.aShape, in(1), st.bShape, out, st.outShape)
	case "MaxPool", "AveragePool":
		sh := st.inShape[0]
		inSz := sh[1] * sh[2] * sh[3]
		outSz := numel(st.outShape[1:])
		for b := 0; b < sh[0]; b++ {
			src, dst := x[b*inSz:(b+1)*inSz], out[b*outSz:(b+1)*outSz]
			if st.n.op == "MaxPool" {
				kernels.MaxPool2D(&s.ctx, st.pool, src, sh[1], sh[2], sh[3], dst)
			} else {
				kernels.AvgPool2D(&s.ctx, st.pool, st.n.attrInt("count_include_pad", 0) != 0, src, sh[1], sh[2], sh[3], dst)
			}
		}
	case "GlobalAveragePool":
		sh := st.inShape[0]
		kernels.GlobalAvgPool(x, sh[0]*sh[1], st.inner, out)
	case "fg.Up2Add":
		sh := st.inShape[0]
		inSz := sh[1] * sh[2] * sh[3]
		outSz := 4 * inSz
		b := in(1)
		for i := 0; i < sh[0]; i++ {
			kernels.Up2Add(&s.ctx, x[i*inSz:(i+1)*inSz], sh[1], sh[2], sh[3], b[i*outSz:(i+1)*outSz], out[i*outSz:(i+1)*outSz])
		}
	case "Resize":
		sh, os := st.inShape[0], st.outShape
		inSz, outSz := sh[1]*sh[2]*sh[3], os[1]*os[2]*os[3]
		for b := 0; b < sh[0]; b++ {
			kernels.ResizeCtx(&s.ctx, st.rsz, x[b*inSz:(b+1)*inSz], sh[1], sh[2], sh[3], out[b*outSz:(b+1)*outSz], os[2], os[3])
		}
	case "Transpose":
		kernels.TransposeCtx(&s.ctx, x, st.inShape[0], st.perm, out)
	case "Softmax":
		kernels.Softmax(x, st.outer, st.axisLen, st.inner, out)
	case "Concat":
		off := 0
		for o := 0; o < st.outer; o++ {
			for k := range st.in {
				src := in(k)
				blk := len(src) / st.outer
				copy(out[off:off+blk], src[o*blk:(o+1)*blk])
				off += blk
			}
		}
	case "fg.Copy":
		copy(out, x)
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
		// views: the output shares the input's buffer
	}
}

// matmul is the product of two activations (rare in face networks):
// out[r, j] = Σ_p a[r, p]·b[p, j].
func matmul(a, b []float32, rows, k, n int, out []float32) {
	for r := 0; r < rows; r++ {
		o := out[r*n : (r+1)*n]
		clear(o)
		for p := 0; p < k; p++ {
			av := a[r*k+p]
			if av == 0 {
				continue
			}
			br := b[p*n : (p+1)*n]
			for j, bv := range br {
				o[j] += av * bv
			}
		}
	}
}

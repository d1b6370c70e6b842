package kernels

import "fmt"

// denseGemmRows is the number of input rows from which Dense uses the
// packed GEMM; fewer rows (the usual batch of one) run as matrix-vector
// products straight from the packed weights, which avoids padding a single
// column to a whole NR-wide B panel.
const denseGemmRows = 4

// Dense computes Y[r, :] = ep(X[r, :] · W) for rows r of X (rows × K),
// W given as K×N (transB=false) or N×K (transB=true).
//
// W is stored transposed (N×K) as a PackedA, so output features are GEMM
// rows and the bias is a per-row epilogue: Yᵀ = Wᵀ·Xᵀ, with Xᵀ read straight
// from X by the B packer and Yᵀ transposed back through the scratch buffer.
type Dense struct {
	k, n int
	a    *PackedA
	bias []float32
	act  ActKind
}

// NewDense packs W. It panics on inconsistent sizes (a programming error
// in the caller, which has validated the model) and on ActPReLU, which
// Dense does not fuse.
func NewDense(w []float32, k, n int, transB bool, bias []float32, act ActKind) *Dense {
	if k < 0 || n < 1 || len(w) != k*n || (bias != nil && len(bias) != n) || act == ActPReLU || act > ActSigmoid {
		panic(fmt.Sprintf("kernels: NewDense: %d weights for %dx%d, %d biases, act %d", len(w), k, n, len(bias), act))
	}
	d := &Dense{k: k, n: n, act: act}
	if bias != nil {
		d.bias = append([]float32(nil), bias...)
	}
	if transB {
		d.a = PackA(w, n, k, k)
		return d
	}
	wt := make([]float32, n*k)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			wt[j*k+p] = w[p*n+j]
		}
	}
	d.a = PackA(wt, n, k, k)
	return d
}

// ScratchSize is the number of floats of ctx.Scratch Run needs for rows
// input rows.
func (d *Dense) ScratchSize(rows int) int {
	if rows < denseGemmRows {
		return 0
	}
	return d.n*rows + gemmWorkerScratch(d.a.kern, d.k, rows, 1)
}

// Run computes y (rows × N) from x (rows × K).
func (d *Dense) Run(ctx *Ctx, x []float32, rows int, y []float32) {
	if rows <= 0 {
		return
	}
	if len(x) < rows*d.k || len(y) < rows*d.n {
		panic(fmt.Sprintf("kernels: Dense: %d/%d values for %d rows of %d→%d", len(x), len(y), rows, d.k, d.n))
	}
	ep := Epilogue{Bias: d.bias, Act: d.act}
	if rows < denseGemmRows {
		j := &ctx.jobsFor().dense
		*j = denseJob{d: d, x: x, rows: rows, y: y}
		mr := d.a.kern.mr
		panels := (d.n + mr - 1) / mr
		grain := max(1, (1<<15)/max(mr*d.k*rows, 1))
		if d.n*d.k*rows < gemmParallelMACs {
			grain = panels // not worth waking the workers
		}
		ctx.pool().run(panels, grain, j)
		*j = denseJob{}
		return
	}
	need := d.ScratchSize(rows)
	var buf []float32
	if ctx != nil && len(ctx.Scratch) >= need {
		buf = ctx.Scratch
	} else {
		buf = make([]float32, need)
	}
	yt := buf[:d.n*rows]
	g := &ctx.jobsFor().gemm
	g.setup(ctx, d.a, bSource{kind: bTrans, b: x, ldb: d.k}, rows, yt, rows, &ep)
	g.serial = buf[d.n*rows:]
	g.exec()
	*g = gemmJob{}
	for o := 0; o < d.n; o++ {
		col := yt[o*rows : (o+1)*rows]
		for r, v := range col {
			y[r*d.n+o] = v
		}
	}
}

// denseJob is the matrix-vector path: units are row panels of the packed
// weights.
type denseJob struct {
	d    *Dense
	x, y []float32
	rows int
}

func (j *denseJob) run(_, lo, hi int) {
	d := j.d
	mr, k, n := d.a.kern.mr, d.k, d.n
	var accBuf [64]float32
	acc := accBuf[:]
	if mr > len(accBuf) {
		acc = make([]float32, mr)
	}
	acc = acc[:mr]
	for r := lo; r < hi; r++ {
		pan := d.a.data[r*k*mr : (r+1)*k*mr]
		for row := 0; row < j.rows; row++ {
			x := j.x[row*k : (row+1)*k]
			gemvPanel(acc, pan, x)
			y := j.y[row*n : (row+1)*n]
			for i := 0; i < mr && r*mr+i < n; i++ {
				o := r*mr + i
				v := acc[i]
				if d.bias != nil {
					v += d.bias[o]
				}
				y[o] = activate1(v, d.act, 0)
			}
		}
	}
}

// gemvPanel sets acc[i] = Σ_p pan[p·MR+i]·x[p] for one packed row panel
// (MR = len(acc)). The common panel heights keep their sums in registers.
func gemvPanel(acc, pan, x []float32) {
	switch len(acc) {
	case 8:
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		for p, xv := range x {
			ap := pan[p*8 : p*8+8 : p*8+8]
			a0 += ap[0] * xv
			a1 += ap[1] * xv
			a2 += ap[2] * xv
			a3 += ap[3] * xv
			a4 += ap[4] * xv
			a5 += ap[5] * xv
			a6 += ap[6] * xv
			a7 += ap[7] * xv
		}
		acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7] = a0, a1, a2, a3, a4, a5, a6, a7
	case 4:
		var a0, a1, a2, a3 float32
		for p, xv := range x {
			ap := pan[p*4 : p*4+4 : p*4+4]
			a0 += ap[0] * xv
			a1 += ap[1] * xv
			a2 += ap[2] * xv
			a3 += ap[3] * xv
		}
		acc[0], acc[1], acc[2], acc[3] = a0, a1, a2, a3
	default:
		mr := len(acc)
		clear(acc)
		for p, xv := range x {
			ap := pan[p*mr : (p+1)*mr]
			for i, av := range ap {
				acc[i] += av * xv
			}
		}
	}
}

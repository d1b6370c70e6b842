package kernels

import "fmt"

// Blocking of the GEMM driver (BLIS loop order). A work unit is a column
// block of at most gemmNC columns times a range of rows (all of them unless
// there are fewer column blocks than threads); Pool workers take units.
// Within a unit: for each K block of at most gemmKC: pack B (kc × columns)
// into the worker's scratch; for each row block of gemmMC rows (the A block
// the micro-kernel streams from L2): for each NR-column B panel (kept in
// L1): for each MR-row A panel: one micro-kernel call.
//
// The epilogue is fused: the first K block starts from the bias, later
// ones accumulate into C (mkAccumulate), and the last applies ReLU/PReLU
// (mkActivate). Sigmoid, not being a per-row slope, is a separate pass over
// the finished unit while it is still in cache. Partial tiles at the right
// and bottom edges go through a temporary MR×NR tile.
const (
	gemmKC = 256
	gemmMC = 128
	gemmNC = 1024

	// Below this many multiply-adds a GEMM runs on one goroutine: waking
	// the workers costs more than it saves.
	gemmParallelMACs = 1 << 20
)

// gemmDirectMinK is the shortest reduction for which a plain B (the input
// planes of a 1×1 convolution) is read in place by the micro-kernel
// instead of being packed: that saves a copy of B per K block, which is
// what YuNet's 1×1 layers with few output channels spend most time on.
// With short reductions the kernel calls are too short to hide B's cache
// misses, and the packed copy (streamed sequentially) wins, unless there
// are at most gemmDirectFewPanels A panels (YuNet's 16-channel layers):
// then the packed copy is read too few times to pay for itself at any K.
var gemmDirectMinK, gemmDirectFewPanels = 32, 2

// gemmIm2colRowsMaxK is the reduction length below which im2col is packed
// row-major (packIm2colRows) rather than in NR-column panels: with few rows
// (a first layer on 3 channels has K = 27) the panel layout cuts every copy
// into NR-long pieces, while the row layout copies whole output rows.
var gemmIm2colRowsMaxK = 32

// gemmRowsSkew pads the row pitch of a row-major im2col block so that its
// rows, read together by the micro-kernel, do not fall into the same L1
// cache sets (a pitch that is a multiple of 4 KiB would).
const gemmRowsSkew = 16

// useDirectB reports whether the micro-kernel should read a plain B with
// row stride ldb in place.
//
// Not when the rows are a multiple of 4 KiB apart and the reduction is
// long: the micro-kernel's B panel (K rows of NR values) then falls into one
// L1 set, cannot stay in L1 while the A panels of a row block pass over it,
// and is fetched again from L2 or L3 for each of them. Packed, it is
// contiguous. (A 1024×1024 SGEMM ran at 65-70 % of peak read in place.)
func useDirectB(a *PackedA, ldb int) bool {
	if ldb%1024 == 0 && a.k >= gemmAliasedMinK {
		return false
	}
	return a.k >= gemmDirectMinK || (a.m+a.kern.mr-1)/a.kern.mr <= gemmDirectFewPanels
}

// gemmAliasedMinK is the reduction length from which a B whose rows are a
// multiple of 4 KiB apart is packed rather than read in place.
const gemmAliasedMinK = 64

// zeroVec supplies a zero bias or slope (ReLU) panel to the micro-kernel.
var zeroVec [256]float32

// PackedA is a constant left operand (weights), M×K, packed once into
// panels for the micro-kernel of the level in force when packed.
//
// Layout: ⌈M/MR⌉ row panels one after another; panel r holds, for each p in
// [0,K), the MR values A[r·MR+i, p] (rows past M are zero). A K block
// [pc, pc+kc) of a panel is therefore contiguous, which is what the
// micro-kernel reads.
type PackedA struct {
	m, k int
	kern microKernel
	data []float32
}

// PackA packs the M×K matrix a (row i at a[i*lda:]) for the current
// micro-kernel.
func PackA(a []float32, m, k, lda int) *PackedA {
	if m < 0 || k < 0 || (m > 0 && k > 0 && (lda < k || len(a) < (m-1)*lda+k)) {
		panic(fmt.Sprintf("kernels: PackA %dx%d lda %d: operand has %d values", m, k, lda, len(a)))
	}
	kern := gemmKernel
	mr := kern.mr
	if mr > len(zeroVec) {
		panic("kernels: micro-kernel MR too large")
	}
	panels := (m + mr - 1) / mr
	p := &PackedA{m: m, k: k, kern: kern, data: make([]float32, panels*k*mr)}
	for r := 0; r < panels; r++ {
		dst := p.data[r*k*mr : (r+1)*k*mr]
		for i := 0; i < mr; i++ {
			row := r*mr + i
			if row >= m {
				break
			}
			src := a[row*lda : row*lda+k]
			for q, v := range src {
				dst[q*mr+i] = v
			}
		}
	}
	return p
}

// unpack returns A as the M×K row-major matrix it was packed from.
func (p *PackedA) unpack() []float32 {
	mr := p.kern.mr
	a := make([]float32, p.m*p.k)
	for i := 0; i < p.m; i++ {
		pan := p.data[i/mr*p.k*mr:]
		for q := 0; q < p.k; q++ {
			a[i*p.k+q] = pan[q*mr+i%mr]
		}
	}
	return a
}

// M is the number of rows of A (output channels).
func (p *PackedA) M() int { return p.m }

// K is the reduction length.
func (p *PackedA) K() int { return p.k }

// Kernel names the micro-kernel the operand was packed for.
func (p *PackedA) Kernel() string { return p.kern.name }

// panel returns the start of row panel r at K offset pc.
func (p *PackedA) panel(r, pc int) *float32 {
	mr := p.kern.mr
	return &p.data[r*p.k*mr+pc*mr]
}

// Gemm computes C[i*ldc+j] = ep(Σ_p A[i,p]·B[p*ldb+j]) for i<M, j<n.
// ep may be nil (no bias, no activation).
func Gemm(ctx *Ctx, a *PackedA, b []float32, ldb, n int, c []float32, ldc int, ep *Epilogue) {
	m, k := a.m, a.k
	if m == 0 || n <= 0 {
		return
	}
	if ldc < n || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("kernels: Gemm: C %dx%d ldc %d has %d values", m, n, ldc, len(c)))
	}
	if k > 0 && (ldb < n || len(b) < (k-1)*ldb+n) {
		panic(fmt.Sprintf("kernels: Gemm: B %dx%d ldb %d has %d values", k, n, ldb, len(b)))
	}
	checkEpilogue("Gemm", ep, m)
	g := &ctx.jobsFor().gemm
	g.setup(ctx, a, bSource{kind: bPlain, b: b, ldb: ldb}, n, c, ldc, ep)
	g.exec()
	*g = gemmJob{}
}

// GemmScratch is the number of floats of ctx.Scratch Gemm needs for a
// product with n columns when it runs without a Pool.
func GemmScratch(a *PackedA, n int) int {
	return gemmWorkerScratch(a.kern, a.k, n, 1)
}

// gemmColBlock is the number of columns a work unit covers.
func gemmColBlock(nr, n, threads int) int {
	per := (n + threads - 1) / threads
	per = (per + nr - 1) / nr * nr
	nc := gemmNC / nr * nr
	if nc < nr {
		nc = nr
	}
	if per > nc {
		per = nc
	}
	return per
}

// gemmWorkerScratch is what one worker needs: a packed B block plus an edge
// tile and padded bias and slope panels.
func gemmWorkerScratch(kern microKernel, k, n, threads int) int {
	return gemmBlockScratch(kern, k, gemmColBlock(kern.nr, n, threads))
}

// gemmBlockScratch is gemmWorkerScratch for a column block of cb columns.
func gemmBlockScratch(kern microKernel, k, cb int) int {
	kc := min(max(k, 1), gemmKC)
	return kc*(cb+gemmRowsSkew) + kern.mr*kern.nr + 2*kern.mr
}

func checkEpilogue(who string, ep *Epilogue, m int) {
	if ep == nil {
		return
	}
	if ep.Bias != nil && len(ep.Bias) < m {
		panic(fmt.Sprintf("kernels: %s: %d biases for %d channels", who, len(ep.Bias), m))
	}
	if ep.Act == ActPReLU && len(ep.Slope) < m {
		panic(fmt.Sprintf("kernels: %s: %d PReLU slopes for %d channels", who, len(ep.Slope), m))
	}
}

// B operand kinds.
const (
	bPlain  = iota // B[p,j] = b[p*ldb+j]
	bTrans         // B[p,j] = b[j*ldb+p]
	bIm2col        // B[p,j] = input patch value, see im2col
)

// bSource describes where the B operand comes from; pack copies a block of
// it into NR-column panels, so convolution needs no separate im2col buffer.
type bSource struct {
	kind int
	b    []float32
	ldb  int
	conv convGeom // bIm2col: geometry; b is the group's input channels
}

// pack writes B[pc:pc+kb, j0:j0+nb] as ⌈nb/nr⌉ panels of kb×nr values
// (columns past nb zero) into dst.
func (s *bSource) pack(dst []float32, nr, pc, kb, j0, nb int) {
	switch s.kind {
	case bPlain:
		packBPlain(dst, s.b, s.ldb, nr, pc, kb, j0, nb)
	case bTrans:
		packBTrans(dst, s.b, s.ldb, nr, pc, kb, j0, nb)
	default:
		s.conv.packIm2col(dst, s.b, nr, pc, kb, j0, nb)
	}
}

func packBPlain(dst, b []float32, ldb, nr, pc, kb, j0, nb int) {
	panels := (nb + nr - 1) / nr
	full := nb / nr
	for p := 0; p < kb; p++ {
		row := b[(pc+p)*ldb+j0 : (pc+p)*ldb+j0+nb]
		off := p * nr
		for q := 0; q < full; q++ {
			copy(dst[off:off+nr], row[q*nr:q*nr+nr])
			off += kb * nr
		}
		if full < panels {
			d := dst[off : off+nr]
			t := copy(d, row[full*nr:])
			clear(d[t:])
		}
	}
}

func packBTrans(dst, b []float32, ldb, nr, pc, kb, j0, nb int) {
	panels := (nb + nr - 1) / nr
	for q := 0; q < panels; q++ {
		pan := dst[q*kb*nr : (q+1)*kb*nr]
		for jj := 0; jj < nr; jj++ {
			j := q*nr + jj
			if j >= nb {
				for p := 0; p < kb; p++ {
					pan[p*nr+jj] = 0
				}
				continue
			}
			col := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kb]
			for p, v := range col {
				pan[p*nr+jj] = v
			}
		}
	}
}

// gemmJob is one GEMM (or one convolution group) split into work units of
// a column block × a row range.
type gemmJob struct {
	pool   *Pool
	serial []float32 // ctx.Scratch for the nil-Pool case

	a     *PackedA
	src   bSource
	n     int
	c     []float32
	ldc   int
	bias  []float32
	slope []float32 // nil unless PReLU
	act   ActKind

	direct    bool // read whole B panels in place (bPlain), pack only the edge panel
	rows      bool // im2col packed row-major (packIm2colRows), read with row stride
	colBlock  int
	colBlocks int
	rowSpan   int // rows per unit, a multiple of MR
	rowSplits int
}

func (g *gemmJob) setup(ctx *Ctx, a *PackedA, src bSource, n int, c []float32, ldc int, ep *Epilogue) {
	g.pool = ctx.pool()
	if ctx != nil {
		g.serial = ctx.Scratch
	}
	g.a, g.src, g.n, g.c, g.ldc = a, src, n, c, ldc
	g.bias, g.slope, g.act = nil, nil, ActNone
	if ep != nil {
		g.bias, g.act = ep.Bias, ep.Act
		if ep.Act == ActPReLU {
			g.slope = ep.Slope
		}
	}
}

// exec splits the job and runs it on the pool (or the caller).
func (g *gemmJob) exec() {
	a := g.a
	mr, nr := a.kern.mr, a.kern.nr
	threads := g.pool.Threads()
	if threads > 1 && a.m*g.n*max(a.k, 1) < gemmParallelMACs {
		threads = 1
	}
	g.direct = g.src.kind == bPlain && useDirectB(a, g.src.ldb)
	g.rows = g.src.kind == bIm2col && a.k < gemmIm2colRowsMaxK
	g.colBlock = gemmColBlock(nr, g.n, threads)
	g.colBlocks = (g.n + g.colBlock - 1) / g.colBlock
	mPanels := (a.m + mr - 1) / mr
	g.rowSplits = 1
	if g.colBlocks < threads {
		g.rowSplits = min((threads+g.colBlocks-1)/g.colBlocks, mPanels)
	}
	if threads > 1 && g.colBlocks > 1 {
		// Few columns (late, small planes): splitting the rows instead
		// balances better when the column blocks would differ by a panel.
		// Work is counted in micro-kernel tiles per unit.
		panels := (g.n + nr - 1) / nr
		byCols := (g.colBlock / nr) * mPanels
		rows := min(threads, mPanels)
		byRows := panels * ((mPanels + rows - 1) / rows)
		if byRows < byCols && panels*nr <= gemmNC {
			g.colBlock, g.colBlocks, g.rowSplits = panels*nr, 1, rows
		}
	}
	g.rowSpan = (mPanels + g.rowSplits - 1) / g.rowSplits * mr
	g.rowSplits = (a.m + g.rowSpan - 1) / g.rowSpan
	units := g.colBlocks * g.rowSplits
	grain := 1
	if threads == 1 {
		grain = units // one chunk, on the caller, still under the Pool's lock
	}
	g.pool.run(units, grain, g)
}

func (g *gemmJob) scratch(w int) []float32 {
	size := gemmBlockScratch(g.a.kern, g.a.k, g.colBlock)
	if g.pool != nil {
		return g.pool.workerScratch(w, size)
	}
	if len(g.serial) >= size {
		return g.serial[:size]
	}
	s := make([]float32, size)
	g.serial = s
	return s
}

func (g *gemmJob) run(w, lo, hi int) {
	buf := g.scratch(w)
	for u := lo; u < hi; u++ {
		cb, rs := u%g.colBlocks, u/g.colBlocks
		j0 := cb * g.colBlock
		nb := min(g.colBlock, g.n-j0)
		i0 := rs * g.rowSpan
		i1 := min(i0+g.rowSpan, g.a.m)
		g.block(buf, j0, nb, i0, i1)
	}
}

// block computes C[i0:i1, j0:j0+nb]; i0 is a multiple of MR.
func (g *gemmJob) block(buf []float32, j0, nb, i0, i1 int) {
	a := g.a
	kern := a.kern
	mr, nr := kern.mr, kern.nr
	k := a.k
	c, ldc := g.c, g.ldc
	if k == 0 {
		g.fillBias(j0, nb, i0, i1)
		return
	}
	kcMax := min(k, gemmKC)
	bp := buf[:kcMax*(g.colBlock+gemmRowsSkew)]
	rest := buf[kcMax*(g.colBlock+gemmRowsSkew):]
	tile := rest[:mr*nr]
	biasPad := rest[mr*nr : mr*nr+mr]
	slopePad := rest[mr*nr+mr : mr*nr+2*mr]
	panels := (nb + nr - 1) / nr
	mc := max(gemmMC/mr, 1) * mr

	full := nb / nr // whole NR-column panels (the direct path reads those in place)
	ldr := panels*nr + gemmRowsSkew
	for pc := 0; pc < k; pc += gemmKC {
		kb := min(gemmKC, k-pc)
		if g.rows {
			g.src.conv.packIm2colRows(bp, g.src.b, ldr, pc, kb, j0, nb)
			if nb < panels*nr {
				for p := 0; p < kb; p++ {
					clear(bp[p*ldr+nb : p*ldr+panels*nr])
				}
			}
		} else if g.direct {
			if full < panels {
				g.src.pack(bp, nr, pc, kb, j0+full*nr, nb-full*nr)
			}
		} else {
			g.src.pack(bp, nr, pc, kb, j0, nb)
		}
		var flags uint
		if pc > 0 {
			flags |= mkAccumulate
		}
		if pc+kb == k && (g.act == ActReLU || g.act == ActPReLU) {
			flags |= mkActivate
		}
		for ic := i0; ic < i1; ic += mc {
			ie := min(ic+mc, i1)
			for q := 0; q < panels; q++ {
				jq := j0 + q*nr
				nw := min(nr, j0+nb-jq)
				bpan, ldb := &bp[q*kb*nr], nr
				if g.rows {
					bpan, ldb = &bp[q*nr], ldr
				} else if g.direct {
					bpan = &bp[0]
					if q < full {
						bpan, ldb = &g.src.b[pc*g.src.ldb+jq], g.src.ldb
					}
				}
				ir := ic
				if kern.rows != nil && nw == nr {
					// The full row panels in one call (ie is a multiple of
					// MR from ic except at the end of A).
					if n := (ie - ic) / mr; n > 0 {
						if bias, slope, ok := g.panelVecs(ic, n*mr); ok {
							kern.rows(kb, a.panel(ic/mr, pc), bpan, &c[ic*ldc+jq], ldc, bias, slope, flags, ldb, n, (a.k-kb)*mr*4)
							ir += n * mr
						}
					}
				}
				for ; ir < ie; ir += mr {
					g.tile(kern, a, ir, pc, kb, jq, nw, bpan, ldb, flags, tile, biasPad, slopePad)
				}
			}
		}
	}
	if g.act == ActSigmoid {
		for i := i0; i < i1; i++ {
			sigmoidInPlace(c[i*ldc+j0 : i*ldc+j0+nb])
		}
	}
}

// tile runs the micro-kernel for rows [ir, ir+MR) and columns
// [jq, jq+nw) of C, through the temporary tile when the block is partial.
func (g *gemmJob) tile(kern microKernel, a *PackedA, ir, pc, kb, jq, nw int, bpan *float32, ldb int, flags uint, tile, biasPad, slopePad []float32) {
	mr, nr := kern.mr, kern.nr
	c, ldc := g.c, g.ldc
	mh := min(mr, a.m-ir)
	apan := a.panel(ir/mr, pc)
	var bias, slope *float32
	if mh == mr {
		bias, slope, _ = g.panelVecs(ir, mr) // MR fits zeroVec (PackA checks)
	} else {
		bias, slope = &zeroVec[0], &zeroVec[0]
		if g.bias != nil {
			clear(biasPad[copy(biasPad, g.bias[ir:ir+mh]):])
			bias = &biasPad[0]
		}
		if g.slope != nil {
			clear(slopePad[copy(slopePad, g.slope[ir:ir+mh]):])
			slope = &slopePad[0]
		}
	}
	if mh == mr && nw == nr {
		kern.fn(kb, apan, bpan, &c[ir*ldc+jq], ldc, bias, slope, flags, ldb)
		return
	}
	if flags&mkAccumulate != 0 {
		for i := 0; i < mh; i++ {
			copy(tile[i*nr:i*nr+nw], c[(ir+i)*ldc+jq:])
		}
	}
	kern.fn(kb, apan, bpan, &tile[0], nr, bias, slope, flags, ldb)
	for i := 0; i < mh; i++ {
		copy(c[(ir+i)*ldc+jq:(ir+i)*ldc+jq+nw], tile[i*nr:])
	}
}

// panelVecs returns the bias and slope for rows [i, i+n) of full row
// panels, zeroVec standing for an absent one; not ok when that is too short.
func (g *gemmJob) panelVecs(i, n int) (bias, slope *float32, ok bool) {
	if (g.bias == nil || g.slope == nil) && n > len(zeroVec) {
		return nil, nil, false
	}
	bias, slope = &zeroVec[0], &zeroVec[0]
	if g.bias != nil {
		bias = &g.bias[i]
	}
	if g.slope != nil {
		slope = &g.slope[i]
	}
	return bias, slope, true
}

// fillBias handles K == 0: the sum is empty, so C = act(bias).
func (g *gemmJob) fillBias(j0, nb, i0, i1 int) {
	for i := i0; i < i1; i++ {
		var v float32
		if g.bias != nil {
			v = g.bias[i]
		}
		switch g.act {
		case ActReLU:
			v = max(v, 0)
		case ActPReLU:
			if v < 0 {
				v *= g.slope[i]
			}
		case ActSigmoid:
			v = sigmoid(v)
		}
		row := g.c[i*g.ldc+j0 : i*g.ldc+j0+nb]
		for j := range row {
			row[j] = v
		}
	}
}

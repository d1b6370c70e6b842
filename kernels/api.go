// Package kernels holds facegate's numeric kernels: packed SGEMM,
// convolution (general, 1x1, depthwise), pooling, resize, elementwise and
// softmax. It knows nothing of graphs or models: only slices, shapes and
// strides. Activations are float32 in NCHW layout; the engine loops over the
// batch and hands kernels one image (C×H×W) at a time.
//
// Every hot loop has a pure-Go reference implementation; assembly versions
// for amd64 (AVX2+FMA, AVX-512) and arm64 (NEON) replace them at run time
// (see cpu.go). Weights are packed once, when a model is loaded, for the
// level in force at that moment.
//
// CONTRACT (written before the implementation; the kernels owner fills the
// bodies and may add, but should not change these signatures without telling
// the engine owner):
package kernels

// ActKind is an activation fused into a kernel's epilogue.
type ActKind uint8

const (
	ActNone    ActKind = iota
	ActReLU            // max(x, 0)
	ActPReLU           // x > 0 ? x : slope[c]*x, one slope per output channel
	ActSigmoid         // 1/(1+exp(-x))
)

// Epilogue is what happens to each output value after the reduction:
// y = act(x + Bias[c]). Bias and Slope are indexed by output channel (the
// GEMM row); nil Bias means zero.
type Epilogue struct {
	Bias  []float32
	Act   ActKind
	Slope []float32 // for ActPReLU; len == channels
}

// Pool runs independent pieces of work on several goroutines. A nil *Pool
// runs everything on the caller's goroutine. Kernels split their outer loops
// with Pool.For; a Pool never allocates per call once started.
//
//	func NewPool(threads int) *Pool
//	func (p *Pool) Threads() int
//	func (p *Pool) For(n int, fn func(lo, hi int))   // fn over [0,n) in chunks, waits for all
//	func (p *Pool) Close()

// Ctx carries per-call resources: a worker pool and a scratch buffer the
// caller sized with the kernel's ScratchSize.
//
//	type Ctx struct {
//		Pool    *Pool
//		Scratch []float32
//	}

// --- GEMM -----------------------------------------------------------------
//
//	// PackedA is a constant left operand (weights), M×K, packed once into
//	// panels for the micro-kernel of the level in force when packed.
//	type PackedA struct{ ... }
//	func PackA(a []float32, m, k, lda int) *PackedA
//	func (p *PackedA) M() int
//	func (p *PackedA) K() int
//
//	// Gemm computes C[i*ldc+j] = ep(Σ_p A[i,p]·B[p*ldb+j]) for i<M, j<n.
//	func Gemm(ctx *Ctx, a *PackedA, b []float32, ldb, n int, c []float32, ldc int, ep *Epilogue)
//	func GemmScratch(a *PackedA, n int) int   // floats of ctx.Scratch Gemm needs
//
// --- Convolution ----------------------------------------------------------
//
//	type ConvParams struct {
//		InC, OutC, KH, KW, StrideH, StrideW, DilH, DilW int
//		PadTop, PadLeft, PadBottom, PadRight int
//		Groups int
//	}
//	func (p ConvParams) OutSize(inH, inW int) (outH, outW int)
//	// Conv is a convolution with its weights packed; shared read-only by
//	// sessions. Weights are OutC × InC/Groups × KH × KW (ONNX layout).
//	type Conv struct{ ... }
//	func NewConv(p ConvParams, w, bias []float32, act ActKind, slope []float32) (*Conv, error)
//	func (c *Conv) Params() ConvParams
//	func (c *Conv) ScratchSize(inH, inW int) int
//	// Run convolves one image: in is InC×inH×inW, out is OutC×outH×outW.
//	func (c *Conv) Run(ctx *Ctx, in []float32, inH, inW int, out []float32)
//
// --- Dense (MatMul / Gemm with constant weights) ----------------------------
//
//	// Dense computes Y[r, :] = ep(X[r, :] · W) for rows r of X (rows × K),
//	// W given as K×N (transB=false) or N×K (transB=true).
//	type Dense struct{ ... }
//	func NewDense(w []float32, k, n int, transB bool, bias []float32, act ActKind) *Dense
//	func (d *Dense) ScratchSize(rows int) int
//	func (d *Dense) Run(ctx *Ctx, x []float32, rows int, y []float32)
//
// --- Pooling, resize, elementwise, softmax, transpose -----------------------
//
//	type PoolParams struct{ KH, KW, StrideH, StrideW, PadTop, PadLeft, PadBottom, PadRight int; CeilMode bool }
//	func (p PoolParams) OutSize(inH, inW int) (outH, outW int)
//	func MaxPool2D(ctx *Ctx, p PoolParams, in []float32, c, inH, inW int, out []float32)
//	func AvgPool2D(ctx *Ctx, p PoolParams, countIncludePad bool, in []float32, c, inH, inW int, out []float32)
//	func GlobalAvgPool(in []float32, c, hw int, out []float32)
//	// Resize of one image (C planes), ONNX Resize semantics for mode
//	// "nearest" (nearest_mode floor/round_prefer_floor/round_prefer_ceil/ceil)
//	// and "linear", coordinate_transformation_mode half_pixel, asymmetric,
//	// align_corners, pytorch_half_pixel.
//	type ResizeParams struct{ Mode, CoordMode, NearestMode string }
//	func Resize(p ResizeParams, in []float32, c, inH, inW int, out []float32, outH, outW int)
//	// Elementwise with numpy broadcasting: shapes are full-rank and equal
//	// length (the engine left-pads with 1s); fast paths for equal shapes,
//	// scalars and per-channel operands.
//	type BinaryOp uint8 // OpAdd, OpSub, OpMul, OpDiv
//	func Binary(op BinaryOp, a []float32, aShape []int, b []float32, bShape []int, out []float32, outShape []int)
//	func Activate(x []float32, ep *Epilogue, channels, planeSize int) // in place, NCHW one image; Bias unused
//	func Softmax(x []float32, outer, axisLen, inner int, out []float32)
//	func Transpose(in []float32, shape []int, perm []int, out []float32)

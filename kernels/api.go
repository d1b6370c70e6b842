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
// The API (written as a contract before the implementation; signatures are
// not changed without telling the engine owner):
//
//   - Pool, Ctx: threading and scratch (pool.go).
//   - PackA, Gemm, GemmScratch: packed SGEMM with fused epilogue (gemm.go).
//   - ConvParams, NewConv, Conv.Run: convolution (conv.go, depthwise.go).
//   - NewDense, Dense.Run: MatMul/Gemm with constant weights (dense.go).
//   - MaxPool2D, AvgPool2D, GlobalAvgPool (pooling.go), Resize (resize.go),
//     Binary, Activate, Softmax, Transpose (elementwise.go).
//
// NewConv returns errors for bad parameters. The run-time kernels check
// slice lengths against the shapes they are given and panic with a message
// when they do not match: that is a bug in the caller (the engine validates
// models before running them), and the assembly micro-kernels work on raw
// pointers, so an unchecked short slice would corrupt memory instead.
//
// Conv, Dense and PackedA are immutable after construction and may be shared
// by any number of goroutines; a Ctx (its Scratch) belongs to one caller at a
// time.
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

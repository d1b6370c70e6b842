package kernels

import (
	"fmt"
	"os"
	"strings"
)

// A cpuLevel is one instruction-set level the kernels can run at, with the
// micro-kernels written for it. Levels are ordered from slowest to fastest;
// the fastest supported one is chosen once, at init, so hot loops never ask
// the CPU again.
type cpuLevel struct {
	name        string
	supported   bool
	gemm        microKernel
	dw3x3       dwRowFunc       // nil: the level has no depthwise row kernel
	dwPlane     dwPlaneFunc     // nil: fused depthwise strips use dw3x3 on one long row
	dwPlanePool dwPlanePoolFunc // nil: fused pooled strips pool with max2x2
	max2x2      max2x2RowFunc
	deint       deintRowFunc
	add         addRowFunc
	prelu       preluRowFunc
	sigmoid     sigmoidRowFunc // nil: sigmoidRowGo
	dup         dupRowFunc     // nil: dupRowGo
	first       firstKernel    // zero: firstKernelGo
}

// addRowFunc sets out[i] = a[i] + b[i] for i < len(out); a and b hold at
// least len(out) values and may be out itself.
type addRowFunc func(out, a, b []float32)

// preluRowFunc sets x[i] = max(x[i],0) + slope·min(x[i],0) (ReLU when slope
// is 0).
type preluRowFunc func(x []float32, slope float32)

// sigmoidRowFunc sets out[i] = 1/(1+e^-x[i]) for i < len(x); out holds at
// least len(x) values and may be x.
type sigmoidRowFunc func(out, x []float32)

// dupRowFunc sets out[2i] = out[2i+1] = in[i] for i < len(in); out holds
// at least 2·len(in) values.
type dupRowFunc func(out, in []float32)

// addRow, preluRow, sigmoidRowK and dupRow are the level's elementwise row
// kernels (never nil).
var (
	addRow      addRowFunc     = addRowGo
	preluRow    preluRowFunc   = preluRowGo
	sigmoidRowK sigmoidRowFunc = sigmoidRowGo
	dupRow      dupRowFunc     = dupRowGo
)

// dupRowGo is the pure-Go dupRowFunc.
func dupRowGo(out, in []float32) {
	out = out[:2*len(in)]
	for i, v := range in {
		d := out[2*i : 2*i+2 : 2*i+2]
		d[0], d[1] = v, v
	}
}

// addRowGo is the pure-Go addRowFunc.
func addRowGo(out, a, b []float32) {
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		out[i] = a[i] + b[i]
	}
}

// preluRowGo is the pure-Go preluRowFunc.
func preluRowGo(x []float32, slope float32) {
	for i, v := range x {
		x[i] = max(v, 0) + min(v, 0)*slope
	}
}

// max2x2RowFunc computes one output row of a 2×2 stride-2 max pool:
// out[i] = max(r0[2i], r0[2i+1], r1[2i], r1[2i+1]) for i < len(out); r0 and
// r1 hold at least 2·len(out) values and do not overlap out. (The vector
// forms follow VMAXPS for NaN inputs, not Go's max; networks do not produce
// NaN.)
type max2x2RowFunc func(out, r0, r1 []float32)

// deintRowFunc splits row into its even and odd columns: even[i] = row[2i],
// odd[i] = row[2i+1] for i < len(even) == len(odd); row holds at least
// 2·len(even) values.
type deintRowFunc func(even, odd, row []float32)

// maxRow2x2 and deintRow are the level's row kernels (never nil).
var (
	maxRow2x2 max2x2RowFunc = max2x2RowGo
	deintRow  deintRowFunc  = deintRowGo
)

// max2x2RowGo is the pure-Go max2x2RowFunc.
func max2x2RowGo(out, r0, r1 []float32) {
	for i := range out {
		a := r0[2*i : 2*i+2 : 2*i+2]
		b := r1[2*i : 2*i+2 : 2*i+2]
		out[i] = max(a[0], a[1], b[0], b[1])
	}
}

// deintRowGo is the pure-Go deintRowFunc.
func deintRowGo(even, odd, row []float32) {
	odd = odd[:len(even)]
	for i := range even {
		pair := row[2*i : 2*i+2 : 2*i+2]
		even[i], odd[i] = pair[0], pair[1]
	}
}

// dwRowFunc computes one output row of a 3×3 depthwise convolution whose
// taps all lie inside the input, for stride 1 or 2:
//
//	out[x] = bias + Σ_{ky,kx<3} k[3ky+kx]·r_ky[stride·x+kx]   for x < len(out)
//	if activate: out[x] = out[x] > 0 ? out[x] : slope·out[x]   (ReLU: slope 0)
//
// r0, r1, r2 start at the first tap of out[0] and need (len(out)-1)·stride+3
// values; longer slices (the rest of the plane) let the vector code run
// further before it hands the last few outputs to scalar code.
type dwRowFunc func(out, r0, r1, r2 []float32, k *[9]float32, stride int, bias, slope float32, activate bool)

// dwRow3x3 is the depthwise row kernel of the level in force, or nil when
// the level has none (generic, neon). The depthwise convolution may call it
// for the interior of each output row, stride 1 or 2, any activation but
// sigmoid (pass activate=false and apply the sigmoid afterwards).
var dwRow3x3 dwRowFunc

// dwPlane and dwPlanePool are the level's whole-rows depthwise kernels
// (dwplane.go), or nil.
var (
	dwPlane     dwPlaneFunc
	dwPlanePool dwPlanePoolFunc
)

// levelEnv names the environment variable that forces a level.
const levelEnv = "FACEGATE_CPU"

var (
	allLevels []cpuLevel // generic first, then archLevels in increasing speed
	curLevel  string
	levelNote string
)

func init() {
	allLevels = append([]cpuLevel{{name: "generic", supported: true, gemm: goKernel4x8}}, archLevels()...)
	name, note := chooseLevel(os.Getenv(levelEnv))
	if _, err := SetLevel(name); err != nil {
		panic(err) // chooseLevel only returns supported levels
	}
	levelNote = note
}

// chooseLevel picks the level for a FACEGATE_CPU value: the fastest
// supported one when env is empty or names a level this machine cannot run
// (with a note saying so), else the one named.
func chooseLevel(env string) (name, note string) {
	best := allLevels[0].name
	for _, l := range allLevels {
		if l.supported {
			best = l.name
		}
	}
	want := strings.ToLower(strings.TrimSpace(env))
	if want == "" {
		return best, ""
	}
	for _, l := range allLevels {
		if l.name == want && l.supported {
			return want, fmt.Sprintf("%s=%s", levelEnv, want)
		}
	}
	return best, fmt.Sprintf("%s=%s ignored: not available here (have %s); using %s",
		levelEnv, want, strings.Join(Levels(), ", "), best)
}

// Level returns the instruction-set level the kernels run at: "generic",
// "avx2", "avx512" (amd64) or "neon" (arm64). Weights packed by PackA or
// NewConv are packed for the level in force at that moment.
func Level() string { return curLevel }

// LevelNote says how Level was chosen when the FACEGATE_CPU environment
// variable was set: the forced level, or why the request was ignored (an
// unknown name or one this CPU cannot run) and what was used instead. It is
// empty when the level was detected.
func LevelNote() string { return levelNote }

// Levels returns the levels this machine can run, slowest first. The last
// one is what Level reports unless FACEGATE_CPU or SetLevel chose another.
func Levels() []string {
	var names []string
	for _, l := range allLevels {
		if l.supported {
			names = append(names, l.name)
		}
	}
	return names
}

// SetLevel switches every kernel to the named level and returns a function
// that restores the previous one. It is meant for tests and benchmarks that
// compare levels within one binary, and is not safe to call while kernels
// run. Already packed weights keep working: they record the micro-kernel
// they were packed for. The error names the supported levels when name is
// unknown or the CPU (or a noasm build) cannot run it.
func SetLevel(name string) (restore func(), err error) {
	for _, l := range allLevels {
		if l.name != name {
			continue
		}
		if !l.supported {
			return nil, fmt.Errorf("kernels: level %q not supported here (have %s)", name, strings.Join(Levels(), ", "))
		}
		prevName, prevGemm, prevDW, prevMax, prevDeint := curLevel, gemmKernel, dwRow3x3, maxRow2x2, deintRow
		prevAdd, prevPReLU, prevFirst, prevPlane, prevPlanePool := addRow, preluRow, firstConvKern, dwPlane, dwPlanePool
		prevSigmoid, prevDup := sigmoidRowK, dupRow
		curLevel, gemmKernel, dwRow3x3, dwPlane, dwPlanePool = l.name, l.gemm, l.dw3x3, l.dwPlane, l.dwPlanePool
		maxRow2x2, deintRow, addRow, preluRow, sigmoidRowK, dupRow = max2x2RowGo, deintRowGo, addRowGo, preluRowGo, sigmoidRowGo, dupRowGo
		firstConvKern = firstKernelGo
		if l.first.ocb > 0 {
			firstConvKern = l.first
		}
		if l.add != nil {
			addRow = l.add
		}
		if l.prelu != nil {
			preluRow = l.prelu
		}
		if l.sigmoid != nil {
			sigmoidRowK = l.sigmoid
		}
		if l.dup != nil {
			dupRow = l.dup
		}
		if l.max2x2 != nil {
			maxRow2x2 = l.max2x2
		}
		if l.deint != nil {
			deintRow = l.deint
		}
		return func() {
			curLevel, gemmKernel, dwRow3x3, maxRow2x2, deintRow = prevName, prevGemm, prevDW, prevMax, prevDeint
			addRow, preluRow, firstConvKern, dwPlane, dwPlanePool = prevAdd, prevPReLU, prevFirst, prevPlane, prevPlanePool
			sigmoidRowK, dupRow = prevSigmoid, prevDup
		}, nil
	}
	return nil, fmt.Errorf("kernels: unknown level %q (have %s)", name, strings.Join(Levels(), ", "))
}

// dwRow3x3Go is the scalar form of dwRowFunc; the assembly wrappers use it
// for the outputs left after their last full vector.
func dwRow3x3Go(out, r0, r1, r2 []float32, k *[9]float32, stride int, bias, slope float32, activate bool) {
	for x := range out {
		i := x * stride
		a, b, c := r0[i:i+3:i+3], r1[i:i+3:i+3], r2[i:i+3:i+3]
		v := bias + a[0]*k[0] + a[1]*k[1] + a[2]*k[2] +
			b[0]*k[3] + b[1]*k[4] + b[2]*k[5] +
			c[0]*k[6] + c[1]*k[7] + c[2]*k[8]
		if activate && !(v > 0) {
			v *= slope
		}
		out[x] = v
	}
}

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
	name      string
	supported bool
	gemm      microKernel
}

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
		prevName, prevGemm := curLevel, gemmKernel
		curLevel, gemmKernel = l.name, l.gemm
		return func() { curLevel, gemmKernel = prevName, prevGemm }, nil
	}
	return nil, fmt.Errorf("kernels: unknown level %q (have %s)", name, strings.Join(Levels(), ", "))
}

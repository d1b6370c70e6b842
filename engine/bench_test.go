package engine

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/facegate/facegate/kernels"
)

// BenchmarkNetwork times one Run of each shipped network on one thread
// (the ORT peer numbers in MODELS.md are single-threaded too), reporting
// ms/op. With -benchmem it also shows that Run allocates nothing.
//
//	go test -run X -bench Network -benchtime 20x ./engine/
func BenchmarkNetwork(b *testing.B) {
	for _, nw := range networks {
		b.Run(nw.name, func(b *testing.B) { benchRun(b, loadModel(b, nw.file), nw.shape, 1) })
	}
}

// BenchmarkNetworkThreads is BenchmarkNetwork with one kernel thread per
// CPU.
func BenchmarkNetworkThreads(b *testing.B) {
	for _, nw := range networks {
		b.Run(nw.name, func(b *testing.B) { benchRun(b, loadModel(b, nw.file), nw.shape, 0) })
	}
}

// BenchmarkNetworkLevels times every network at every kernel level this
// CPU supports, on one thread and on one thread per CPU. Each level loads
// the model afresh, since weights are packed for the level in force.
//
//	go test -run X -bench NetworkLevels -benchtime 20x ./engine/
func BenchmarkNetworkLevels(b *testing.B) {
	for _, level := range kernels.Levels() {
		b.Run(level, func(b *testing.B) {
			restore, err := kernels.SetLevel(level)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for _, nw := range networks {
				m, err := Load(importModel(b, nw.file), Options{})
				if err != nil {
					b.Fatal(err)
				}
				for _, threads := range []int{1, 0} {
					name := fmt.Sprintf("%s/threads=%d", nw.name, threads)
					if threads == 0 {
						name = fmt.Sprintf("%s/threads=%d", nw.name, runtime.NumCPU())
					}
					b.Run(name, func(b *testing.B) { benchRun(b, m, nw.shape, threads) })
				}
			}
		})
	}
}

// benchRun times Session.Run of m on a random input of the given shape.
func benchRun(b *testing.B, m *Model, shape []int, threads int) {
	s := sessionFor(b, m, threads)
	in := []*Tensor{randomInput(shape, 1)}
	if _, err := s.Run(in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.Run(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/op")
}

// BenchmarkLoad times Load (optimisation and weight packing) of the
// default embedder, already imported.
func BenchmarkLoad(b *testing.B) {
	wm := importModel(b, "mobilefacenet128_paddle.onnx")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Load(wm, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlan times planning YuNet for a new input shape (what the first
// Run of each image size pays).
func BenchmarkPlan(b *testing.B) {
	m := loadModel(b, "face_detection_yunet_2023mar_dynamic.onnx")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.buildPlan([][]int{{1, 3, 640, 480}}); err != nil {
			b.Fatal(err)
		}
	}
}

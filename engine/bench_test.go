package engine

import (
	"testing"
	"time"
)

// BenchmarkNetwork times one Run of each shipped network on one thread
// (the ORT peer numbers in MODELS.md are single-threaded too), reporting
// ms/op. With -benchmem it also shows that Run allocates nothing.
//
//	go test -run X -bench Network -benchtime 20x ./engine/
func BenchmarkNetwork(b *testing.B) {
	for _, nw := range networks {
		b.Run(nw.name, func(b *testing.B) {
			m := loadModel(b, nw.file)
			s := sessionFor(b, m, 1)
			in := []*Tensor{randomInput(nw.shape, 1)}
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
		})
	}
}

// BenchmarkNetworkThreads is BenchmarkNetwork with one kernel thread per
// CPU.
func BenchmarkNetworkThreads(b *testing.B) {
	for _, nw := range networks {
		b.Run(nw.name, func(b *testing.B) {
			m := loadModel(b, nw.file)
			s := sessionFor(b, m, 0)
			in := []*Tensor{randomInput(nw.shape, 1)}
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
		})
	}
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

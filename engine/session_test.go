package engine

import (
	"math"
	"math/rand"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/weights"
)

// networks are the shipped models with a representative input shape.
var networks = []struct {
	name, file string
	shape      []int
}{
	{"yunet640", "face_detection_yunet_2023mar_dynamic.onnx", []int{1, 3, 640, 640}},
	{"yunet320", "face_detection_yunet_2023mar_dynamic.onnx", []int{1, 3, 320, 320}},
	{"minifasnetv2", "2.7_80x80_MiniFASNetV2.onnx", []int{1, 3, 80, 80}},
	{"minifasnetv1se", "4_0_0_80x80_MiniFASNetV1SE.onnx", []int{1, 3, 80, 80}},
	{"mobilefacenet128", "mobilefacenet128_paddle.onnx", []int{1, 3, 112, 112}},
	{"w600k_mbf", "w600k_mbf_fp32.onnx", []int{1, 3, 112, 112}},
}

func randomInput(shape []int, seed int64) *Tensor {
	r := rand.New(rand.NewSource(seed))
	d := make([]float32, numel(shape))
	for i := range d {
		d[i] = r.Float32()*2 - 1
	}
	return &Tensor{Shape: shape, Data: d}
}

// TestRunAllocatesNothing proves the zero-allocation contract: after the
// first Run for a shape, Run allocates nothing, single- and multi-threaded.
func TestRunAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items on purpose)")
	}
	for _, nw := range networks {
		if nw.name == "yunet640" {
			continue // same graph as yunet320, only slower
		}
		for _, threads := range []int{1, 2} {
			t.Run(nw.name, func(t *testing.T) {
				m := loadModel(t, nw.file)
				s := sessionFor(t, m, threads)
				in := []*Tensor{randomInput(nw.shape, 1)}
				if _, err := s.Run(in); err != nil {
					t.Fatal(err)
				}
				allocs := testing.AllocsPerRun(5, func() {
					if _, err := s.Run(in); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("threads=%d: %v allocations per Run after warm-up, want 0", threads, allocs)
				}
			})
		}
	}
}

// TestPlanCache switches between shapes: results must not depend on which
// plans are cached, and a repeated shape must reuse its plan.
func TestPlanCache(t *testing.T) {
	m := loadModel(t, "face_detection_yunet_2023mar_dynamic.onnx")
	s := sessionFor(t, m, 1)
	shapes := [][]int{{1, 3, 64, 64}, {1, 3, 96, 64}, {2, 3, 64, 64}, {1, 3, 64, 128}, {1, 3, 32, 32}, {1, 3, 64, 64}, {1, 3, 32, 64}, {1, 3, 64, 32}, {3, 3, 32, 32}, {1, 3, 128, 32}, {1, 3, 96, 96}}
	first := map[int][]float32{}
	for round := 0; round < 2; round++ {
		for k, sh := range shapes {
			outs, err := s.Run([]*Tensor{randomInput(sh, int64(k))})
			if err != nil {
				t.Fatalf("%v: %v", sh, err)
			}
			got := append([]float32{}, outs[0].Data...)
			if round == 0 {
				first[k] = got
				continue
			}
			for i := range got {
				if got[i] != first[k][i] {
					t.Fatalf("%v: output differs between rounds at %d", sh, i)
				}
			}
		}
	}
	if len(s.plans) > planCacheSize {
		t.Errorf("%d plans cached, limit %d", len(s.plans), planCacheSize)
	}
	// Every cached plan works in the session's one shared arena.
	for _, p := range s.plans {
		for _, st := range p.steps {
			for _, r := range append(st.in, st.out) {
				if r.slot >= 0 && r.n > 0 && &r.buf[0] != &s.arena[r.slot][0] {
					t.Fatalf("%s of plan %v is not bound to the session arena", st.n, p.inShapes)
				}
			}
		}
	}
}

// TestConcurrentSessions shares one Model between goroutines, each with its
// own Session; run with -race. Every goroutine must get the single-threaded
// result.
func TestConcurrentSessions(t *testing.T) {
	m := loadModel(t, "2.7_80x80_MiniFASNetV2.onnx")
	in := randomInput([]int{1, 3, 80, 80}, 7)
	ref, err := sessionFor(t, m, 1).Run([]*Tensor{in})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32{}, ref[0].Data...)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := NewSession(m, SessionOptions{Threads: 1 + g%2})
			if err != nil {
				errs <- err.Error()
				return
			}
			defer s.Close()
			for r := 0; r < 3; r++ {
				out, err := s.Run([]*Tensor{in})
				if err != nil {
					errs <- err.Error()
					return
				}
				for i, v := range out[0].Data {
					if math.Abs(float64(v-want[i])) > 1e-5 {
						errs <- "results differ between sessions"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestBadInputs: every malformed input is a clear error, never a panic.
func TestBadInputs(t *testing.T) {
	yunet := loadModel(t, "face_detection_yunet_2023mar_dynamic.onnx")
	fas := loadModel(t, "2.7_80x80_MiniFASNetV2.onnx")
	ok := randomInput([]int{1, 3, 80, 80}, 1)
	cases := []struct {
		name string
		m    *Model
		in   []*Tensor
		want string
	}{
		{"no inputs", fas, nil, "0 inputs given"},
		{"two inputs", fas, []*Tensor{ok, ok}, "2 inputs given"},
		{"nil input", fas, []*Tensor{nil}, "is nil"},
		{"rank", fas, []*Tensor{{Shape: []int{3, 80, 80}, Data: make([]float32, 3*80*80)}}, "rank 3"},
		{"fixed dim", fas, []*Tensor{randomInput([]int{1, 3, 80, 81}, 1)}, "want"},
		{"channels", fas, []*Tensor{randomInput([]int{1, 4, 80, 80}, 1)}, "want"},
		{"data length", fas, []*Tensor{{Shape: []int{1, 3, 80, 80}, Data: make([]float32, 10)}}, "10 values"},
		{"zero dim", yunet, []*Tensor{{Shape: []int{0, 3, 64, 64}}}, "dimension 0 is 0"},
		{"negative dim", yunet, []*Tensor{{Shape: []int{1, 3, -64, 64}}}, "is -64"},
		{"huge", yunet, []*Tensor{{Shape: []int{1 << 20, 3, 1 << 20, 1 << 20}}}, "limit"},
		{"activations", yunet, []*Tensor{randomInput([]int{1, 3, 1024, 1024}, 1)}, "limit of 16 MiB"},
		{"not multiple of 32", yunet, []*Tensor{randomInput([]int{1, 3, 80, 64}, 1)}, "broadcast"},
		{"too small", yunet, []*Tensor{randomInput([]int{1, 3, 8, 8}, 1)}, "too small"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			limit := int64(0)
			if c.name == "activations" {
				limit = 16 << 20
			}
			s, err := NewSession(c.m, SessionOptions{Threads: 1, MaxActivationBytes: limit})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = s.Run(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
			// The session stays usable.
			if c.m == fas {
				if _, err := s.Run([]*Tensor{ok}); err != nil {
					t.Fatalf("after the error: %v", err)
				}
			}
		})
	}
}

// TestOptimisedGraph checks what the load-time passes did to the shipped
// models: no BatchNormalization or Identity left, activations fused, and
// the shape sub-graphs gone from the runtime steps.
func TestOptimisedGraph(t *testing.T) {
	for _, nw := range networks {
		t.Run(nw.name, func(t *testing.T) {
			m := loadModel(t, nw.file)
			for _, n := range m.nodes {
				switch n.op {
				case "BatchNormalization", "Identity", "Dropout", "Constant", "Relu", "PRelu":
					if n.op == "Relu" || n.op == "PRelu" {
						// allowed only where the producer is not a Conv
						continue
					}
					t.Errorf("%s left in the optimised graph", n)
				}
			}
			p, err := m.buildPlan([][]int{nw.shape})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range p.steps {
				if planOnlyOps[st.n.op] {
					t.Errorf("%s runs at Run time", st.n)
				}
			}
			// YuNet is built of 1×1 + depthwise units; each must run fused.
			if strings.HasPrefix(nw.name, "yunet") {
				units := 0
				for _, n := range m.nodes {
					if n.op == "Conv" && n.conv != nil && n.conv.Params().KH == 1 && n.conv.Params().Groups == 1 {
						t.Errorf("%s: 1x1 convolution not fused with a depthwise one", n)
					}
					if n.op == "fg.PointDepth" {
						units++
					}
				}
				// 26 units, of which the 4 heads of each of the 3 scales are
				// stacked into one: 14 + 3 steps.
				if m.fusedUnits != 26 || m.stackedUnits != 12 || units != 17 {
					t.Errorf("%d fg.PointDepth nodes, %d fused and %d stacked units; want 17, 26, 12", units, m.fusedUnits, m.stackedUnits)
				}
			}
			t.Logf("ops %d → steps %d; folded BN %d, fused activations %d, fused 1x1+depthwise units %d (%d stacked), arena %.1f MiB in %d buffers, scratch %d floats, %.1f MMACs",
				sum(m.origOps), len(p.steps), m.foldedBN, m.fusedActs, m.fusedUnits, m.stackedUnits, float64(p.arena)*4/(1<<20), len(p.slotSize), p.scratch, float64(p.macs)/1e6)
		})
	}
}

func sum(h map[string]int) int {
	n := 0
	for _, v := range h {
		n += v
	}
	return n
}

// TestUnknownOperator: an operator the engine does not implement is a load
// error naming the operator and the node.
func TestUnknownOperator(t *testing.T) {
	wm := importModel(t, "2.7_80x80_MiniFASNetV2.onnx")
	cp := *wm
	cp.Graph.Nodes = append([]weights.Node{}, wm.Graph.Nodes...)
	cp.Graph.Nodes[3].Name = "the_node"
	for _, op := range []string{"Frobnicate", "fg.Dense", "fg.ChannelAffine", "fg.Copy"} {
		cp.Graph.Nodes[3].Op = op
		_, err := Load(&cp, Options{})
		if err == nil || !strings.Contains(err.Error(), op) || !strings.Contains(err.Error(), "the_node") {
			t.Fatalf("err = %v, want it to name the operator %s and the node", err, op)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.fgw")); err == nil {
		t.Error("LoadFile accepted a missing file")
	}
	if _, err := LoadFile(shared.Path(t, "models", "MODELS.md")); err == nil {
		t.Error("LoadFile accepted a text file")
	}
}

// TestProfile: a profiling session accounts for every step and every MAC.
func TestProfile(t *testing.T) {
	m := loadModel(t, "2.7_80x80_MiniFASNetV2.onnx")
	s, err := NewSession(m, SessionOptions{Threads: 1, Profile: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := []*Tensor{randomInput([]int{1, 3, 80, 80}, 3)}
	for r := 0; r < 3; r++ {
		if _, err := s.Run(in); err != nil {
			t.Fatal(err)
		}
	}
	st, err := m.Stats([][]int{{1, 3, 80, 80}})
	if err != nil {
		t.Fatal(err)
	}
	calls, macs := 0, int64(0)
	for _, ot := range s.Profile() {
		calls += ot.Calls
		macs += ot.MACs
		if ot.Time <= 0 {
			t.Errorf("%s: no time recorded", ot.Op)
		}
	}
	if calls != 3*st.Steps || macs != 3*st.TotalMACs {
		t.Errorf("profile has %d calls and %d MACs, want %d and %d", calls, macs, 3*st.Steps, 3*st.TotalMACs)
	}
	s.ResetProfile()
	for _, ot := range s.Profile() {
		if ot.Calls != 0 {
			t.Errorf("%s: %d calls after ResetProfile", ot.Op, ot.Calls)
		}
	}
	if !raceEnabled {
		if a := testing.AllocsPerRun(3, func() { s.Run(in) }); a != 0 {
			t.Errorf("profiling Run allocates %v times", a)
		}
	}
}

// TestDroppedSessionStopsWorkers: a multi-threaded Session that is never
// closed still stops its worker goroutines once garbage collected.
func TestDroppedSessionStopsWorkers(t *testing.T) {
	m := loadModel(t, "2.7_80x80_MiniFASNetV2.onnx")
	// Let workers of sessions dropped by earlier tests finish first, so
	// that "before" counts only goroutines that stay.
	before := settledGoroutines()
	sessions := make([]*Session, 4)
	for k := range sessions {
		s, err := NewSession(m, SessionOptions{Threads: 4})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Run([]*Tensor{randomInput([]int{1, 3, 80, 80}, 1)}); err != nil {
			t.Fatal(err)
		}
		sessions[k] = s
	}
	if n := runtime.NumGoroutine(); n < before+12 {
		t.Fatalf("4 sessions of 4 threads: %d → %d goroutines, want 12 more", before, n)
	}
	runtime.KeepAlive(sessions)
	sessions = nil
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after dropping the sessions, %d before", n, before)
	}
}

// settledGoroutines collects garbage until the goroutine count stops
// falling (at most a second) and returns it.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n && i >= 2 {
			return m
		}
		n = m
	}
	return n
}

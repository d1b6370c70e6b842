package engine

import (
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/facegate/facegate/kernels"
	"github.com/facegate/facegate/weights"
)

// SessionOptions controls a Session.
type SessionOptions struct {
	// Threads is the number of goroutines kernels may use; 0 means
	// GOMAXPROCS (one per CPU by default).
	Threads int
	// Profile makes Run record the time spent in each operator type (see
	// Session.Profile); it costs two clock reads per step.
	Profile bool
	// MaxActivationBytes bounds the activation memory of one input shape's
	// plan; 0 means 1 GiB. A shape needing more is an error, not an
	// allocation that could exhaust memory.
	MaxActivationBytes int64
	// MaxInputElements bounds the number of values in each input tensor;
	// 0 means 1<<26 (256 MiB of float32).
	MaxInputElements int
}

// planCacheSize is how many input shapes a Session keeps plans for. Plans
// are small (the activation arena is shared) and cheap to rebuild (about a
// tenth of a millisecond for YuNet), but the detector sees a shape per image
// aspect ratio, so keep a few.
const planCacheSize = 8

// Session runs a Model. It owns the activation memory and kernel scratch;
// use one Session per goroutine. After the first Run for an input shape,
// Run allocates nothing for that shape.
type Session struct {
	m       *Model
	pool    *kernels.Pool
	ctx     kernels.Ctx
	threads int
	maxIn   int
	maxAct  int64
	plans   []*plan     // most recently used first
	arena   [][]float32 // activation buffers shared by all plans
	profile bool
	prof    map[string]*OpTime
}

// NewSession prepares a Session for m. Close it to stop its worker
// goroutines (a Session that is garbage collected is closed too, later).
func NewSession(m *Model, opt SessionOptions) (*Session, error) {
	if m == nil {
		return nil, fmt.Errorf("engine: nil model")
	}
	th := opt.Threads
	if th <= 0 {
		th = runtime.GOMAXPROCS(0)
	}
	s := &Session{m: m, threads: th, maxIn: opt.MaxInputElements, profile: opt.Profile}
	if s.profile {
		s.prof = map[string]*OpTime{}
	}
	if s.maxIn <= 0 {
		s.maxIn = 1 << 26
	}
	s.maxAct = opt.MaxActivationBytes
	if s.maxAct <= 0 {
		s.maxAct = 1 << 30
	}
	if th > 1 {
		s.pool = kernels.NewPool(th)
		// A Session dropped without Close still stops its workers.
		runtime.AddCleanup(s, func(p *kernels.Pool) { p.Close() }, s.pool)
	}
	s.ctx.Pool = s.pool
	return s, nil
}

// Close releases the Session's worker goroutines. The Session must not be
// used afterwards.
func (s *Session) Close() {
	s.pool.Close()
	s.plans, s.arena = nil, nil
}

// Threads is the number of goroutines the session's kernels use.
func (s *Session) Threads() int { return s.threads }

// Model returns the model the session runs.
func (s *Session) Model() *Model { return s.m }

// Run computes the model's outputs for inputs, given in the order of
// Model.Inputs. The returned tensors belong to the Session and are valid
// until the next Run; copy what must outlive it. Inputs are only read, and
// must not alias the Session's outputs.
func (s *Session) Run(inputs []*Tensor) ([]*Tensor, error) {
	p, err := s.planFor(inputs)
	if err != nil {
		return nil, err
	}
	if !s.profile {
		for i := range p.steps {
			s.exec(&p.steps[i], inputs)
		}
		return p.outs, nil
	}
	for i := range p.steps {
		st := &p.steps[i]
		t0 := time.Now()
		s.exec(st, inputs)
		d := time.Since(t0)
		ot := s.prof[st.n.op]
		if ot == nil {
			ot = &OpTime{Op: st.n.op}
			s.prof[st.n.op] = ot
		}
		ot.Time += d
		ot.Calls++
		ot.MACs += st.macs
	}
	return p.outs, nil
}

// OpTime is the time a profiling Session spent in one operator type.
type OpTime struct {
	Op    string
	Calls int
	Time  time.Duration
	MACs  int64
}

// Profile returns the time spent per operator type since the Session was
// made (or since ResetProfile), slowest first. Nil unless
// SessionOptions.Profile was set.
func (s *Session) Profile() []OpTime {
	var out []OpTime
	for _, ot := range s.prof {
		out = append(out, *ot)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time > out[j].Time })
	return out
}

// ResetProfile clears the recorded times (e.g. after warm-up).
func (s *Session) ResetProfile() {
	for _, ot := range s.prof {
		*ot = OpTime{Op: ot.Op}
	}
}

// planFor validates inputs and returns the plan for their shapes, building
// it on first use.
func (s *Session) planFor(inputs []*Tensor) (*plan, error) {
	m := s.m
	if len(inputs) != len(m.inputs) {
		return nil, fmt.Errorf("engine: %d inputs given, model %q takes %d", len(inputs), m.meta.Name, len(m.inputs))
	}
	for k, t := range inputs {
		if t == nil {
			return nil, fmt.Errorf("engine: input %d (%s) is nil", k, m.inputs[k].Name)
		}
	}
	for i, p := range s.plans {
		if shapesMatch(p.inShapes, inputs) {
			if err := checkData(m, inputs); err != nil {
				return nil, err
			}
			if i > 0 {
				copy(s.plans[1:i+1], s.plans[:i])
				s.plans[0] = p
			}
			return p, nil
		}
	}
	shapes := make([][]int, len(inputs))
	for k, t := range inputs {
		vi := m.inputs[k]
		if len(t.Shape) != len(vi.Shape) {
			return nil, fmt.Errorf("engine: input %q has rank %d, want %d (%s)", vi.Name, len(t.Shape), len(vi.Shape), dimsString(vi.Shape))
		}
		for d, dim := range vi.Shape {
			if t.Shape[d] <= 0 {
				return nil, fmt.Errorf("engine: input %q: dimension %d is %d", vi.Name, d, t.Shape[d])
			}
			if dim.Value > 0 && int64(t.Shape[d]) != dim.Value {
				return nil, fmt.Errorf("engine: input %q has shape %v, want %s", vi.Name, t.Shape, dimsString(vi.Shape))
			}
		}
		n, err := checkedNumel(t.Shape)
		if err != nil || n > s.maxIn {
			return nil, fmt.Errorf("engine: input %q of shape %v is larger than the limit of %d values", vi.Name, t.Shape, s.maxIn)
		}
		shapes[k] = append([]int{}, t.Shape...)
	}
	if err := checkData(m, inputs); err != nil {
		return nil, err
	}
	p, err := m.buildPlan(shapes)
	if err != nil {
		return nil, fmt.Errorf("engine: input shapes %v: %w", shapes, err)
	}
	if int64(p.arena)*4 > s.maxAct {
		return nil, fmt.Errorf("engine: input shapes %v need %d MiB of activations, more than the session's limit of %d MiB",
			shapes, int64(p.arena)*4>>20, s.maxAct>>20)
	}
	if p.scratch > len(s.ctx.Scratch) {
		s.ctx.Scratch = make([]float32, p.scratch)
	}
	if len(s.plans) < planCacheSize {
		s.plans = append(s.plans, nil)
	}
	copy(s.plans[1:], s.plans[:len(s.plans)-1])
	s.plans[0] = p
	// Grow the shared arena to fit the new plan; if a buffer was replaced,
	// rebind every cached plan to it.
	grown := false
	for k, need := range p.slotSize {
		switch {
		case k >= len(s.arena):
			s.arena = append(s.arena, make([]float32, need))
			grown = true
		case len(s.arena[k]) < need:
			s.arena[k] = make([]float32, need)
			grown = true
		}
	}
	if grown {
		for _, q := range s.plans {
			q.bind(s.arena)
		}
	} else {
		p.bind(s.arena)
	}
	return p, nil
}

func checkData(m *Model, inputs []*Tensor) error {
	for k, t := range inputs {
		if len(t.Data) != numel(t.Shape) {
			return fmt.Errorf("engine: input %q has %d values for shape %v", m.inputs[k].Name, len(t.Data), t.Shape)
		}
	}
	return nil
}

func shapesMatch(want [][]int, inputs []*Tensor) bool {
	for k, t := range inputs {
		if !sameShape(want[k], t.Shape) {
			return false
		}
	}
	return true
}

func dimsString(ds []weights.Dim) string {
	s := "["
	for k, d := range ds {
		if k > 0 {
			s += ","
		}
		if d.Value > 0 {
			s += fmt.Sprint(d.Value)
		} else if d.Param != "" {
			s += d.Param
		} else {
			s += "?"
		}
	}
	return s + "]"
}

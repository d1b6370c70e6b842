// Package sessions keeps a bounded set of idle engine sessions per model so
// that many goroutines can run one shared Model concurrently without
// creating (and planning) a session per call.
package sessions

import (
	"github.com/facegate/facegate/engine"
)

// Pool hands out sessions of one model. Sessions own worker goroutines, so
// the pool is a bounded channel rather than a sync.Pool (which would drop
// sessions at GC without closing them).
type Pool struct {
	model *engine.Model
	opt   engine.SessionOptions
	idle  chan *engine.Session
}

// New makes a pool for m whose sessions use threads goroutines each and
// which keeps at most maxIdle idle sessions.
func New(m *engine.Model, threads, maxIdle int) *Pool {
	return &Pool{model: m, opt: engine.SessionOptions{Threads: threads}, idle: make(chan *engine.Session, max(maxIdle, 1))}
}

// Model is the pool's model.
func (p *Pool) Model() *engine.Model { return p.model }

// Run runs the model on inputs with an idle (or new) session and calls use
// with the outputs while the session is held (the outputs belong to the
// session: copy what must outlive use).
func (p *Pool) Run(inputs []*engine.Tensor, use func(out []*engine.Tensor) error) error {
	var s *engine.Session
	select {
	case s = <-p.idle:
	default:
		var err error
		if s, err = engine.NewSession(p.model, p.opt); err != nil {
			return err
		}
	}
	defer func() {
		select {
		case p.idle <- s:
		default:
			s.Close()
		}
	}()
	out, err := s.Run(inputs)
	if err != nil {
		return err
	}
	return use(out)
}

// Close closes the idle sessions. Sessions in use are closed when they are
// returned to a full pool; call Close only when no Run is in progress.
func (p *Pool) Close() {
	for {
		select {
		case s := <-p.idle:
			s.Close()
		default:
			return
		}
	}
}

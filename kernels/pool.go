package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool runs independent pieces of work on several goroutines. A nil *Pool
// runs everything on the caller's goroutine. Kernels split their outer loops
// with Pool.For; a Pool never allocates per call once started.
//
// A Pool has Threads()-1 worker goroutines; the calling goroutine is the
// remaining worker, so a one-thread Pool starts no goroutine at all. Work is
// handed out in chunks taken from a shared atomic counter, so a worker that
// the OS deschedules (the machine is shared) does not hold the others up.
//
// Calls on one Pool are serialised by a mutex: two sessions may share a
// Pool, but then they take turns. The function given to For must not call
// For on the same Pool (it would deadlock).
//
// Each worker also owns a scratch buffer that kernels grow on first use
// (GEMM packs its B panels there), so a threaded kernel needs nothing from
// Ctx.Scratch and allocates nothing once warm.
type Pool struct {
	mu      sync.Mutex
	threads int
	wake    []chan struct{} // one per goroutine worker (index w-1)
	state   []atomic.Int32  // one per goroutine worker: workerSpinning etc.
	done    atomic.Int32    // goroutine workers finished with the current job
	closed  bool

	// Current job, written under mu before waking the workers.
	job   job
	n     int
	grain int
	next  atomic.Int64

	scratch [][]float32 // per worker, grown on demand by that worker only

	forJob funcJob // Pool.For's adapter, reused so For allocates nothing
}

// job is one parallel loop: run(w, lo, hi) processes units [lo,hi) on
// worker w (0 ≤ w < Threads()).
type job interface {
	run(w, lo, hi int)
}

// funcJob adapts Pool.For's plain function to job.
type funcJob struct{ fn func(lo, hi int) }

func (f *funcJob) run(_, lo, hi int) { f.fn(lo, hi) }

// NewPool starts a pool of threads workers (the caller counts as one).
// threads < 1 is taken as 1.
func NewPool(threads int) *Pool {
	if threads < 1 {
		threads = 1
	}
	p := &Pool{threads: threads, scratch: make([][]float32, threads)}
	p.wake = make([]chan struct{}, threads-1)
	p.state = make([]atomic.Int32, threads-1)
	for i := range p.wake {
		ch := make(chan struct{}, 1)
		p.wake[i] = ch
		go p.worker(i+1, ch)
	}
	return p
}

// Threads is the number of goroutines that share the work (1 for nil).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// For calls fn over [0,n) in contiguous chunks, on all workers, and returns
// when every chunk is done. With a nil Pool, fn(0, n) runs on the caller.
func (p *Pool) For(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if p == nil {
		fn(0, n)
		return
	}
	p.mu.Lock()
	p.forJob.fn = fn
	p.runLocked(n, 1, &p.forJob)
	p.forJob.fn = nil
	p.mu.Unlock()
}

// Close stops the worker goroutines. The Pool stays usable afterwards but
// runs everything on the caller's goroutine.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, ch := range p.wake {
		close(ch)
	}
}

// run runs j over [0,n) with chunks of at least minGrain units, on the
// caller's goroutine when p is nil. Kernels keep their job values in the
// Ctx, so handing one to the workers allocates nothing.
func (p *Pool) run(n, minGrain int, j job) {
	if n <= 0 {
		return
	}
	if p == nil {
		j.run(0, 0, n)
		return
	}
	p.mu.Lock()
	p.runLocked(n, minGrain, j)
	p.mu.Unlock()
}

// runLocked runs j over [0,n) with chunks of at least minGrain units. The
// caller holds p.mu.
func (p *Pool) runLocked(n, minGrain int, j job) {
	workers := p.threads
	if p.closed || workers == 1 || n <= minGrain {
		j.run(0, 0, n)
		return
	}
	// About four chunks per worker balances load without much contention.
	grain := (n + 4*workers - 1) / (4 * workers)
	if grain < minGrain {
		grain = minGrain
	}
	if grain*workers > n {
		// Fewer units than workers×grain: one chunk per unit-range.
		grain = (n + workers - 1) / workers
		if grain < minGrain {
			grain = minGrain
		}
	}
	chunks := (n + grain - 1) / grain
	if chunks < workers {
		workers = chunks
	}
	p.job, p.n, p.grain = j, n, grain
	p.next.Store(0)
	p.done.Store(0)
	for w := 1; w < workers; w++ {
		// A spinning worker sees the assignment at once; a sleeping one
		// (it moved itself from spinning to sleeping) needs the wake-up.
		if st := &p.state[w-1]; !st.CompareAndSwap(workerSpinning, workerAssigned) {
			st.Store(workerAssigned)
			p.wake[w-1] <- struct{}{}
		}
	}
	p.drain(0)
	for i := 0; p.done.Load() < int32(workers-1); i++ {
		if i >= poolSpinChecks {
			runtime.Gosched()
		}
	}
	p.job = nil
}

// Worker states. Between jobs a worker spins for a while (poolSpin
// rounds) before it sleeps on its channel: waking a sleeping goroutine
// costs tens of microseconds on a virtual machine, more than many layers
// take, and networks run one layer after another.
const (
	workerSpinning = iota
	workerSleeping
	workerAssigned

	poolSpin       = 4000 // rounds of runtime.Gosched a worker spins between jobs
	poolSpinChecks = 200  // plain checks before the caller yields while it waits
)

// drain takes chunks until none are left.
func (p *Pool) drain(w int) {
	for {
		lo := int(p.next.Add(int64(p.grain))) - p.grain
		if lo >= p.n {
			return
		}
		hi := lo + p.grain
		if hi > p.n {
			hi = p.n
		}
		p.job.run(w, lo, hi)
	}
}

func (p *Pool) worker(w int, wake chan struct{}) {
	st := &p.state[w-1]
	for {
		assigned := false
		for i := 0; i < poolSpin; i++ {
			if st.Load() == workerAssigned {
				assigned = true
				break
			}
			runtime.Gosched()
		}
		if !assigned && st.CompareAndSwap(workerSpinning, workerSleeping) {
			if _, ok := <-wake; !ok {
				return
			}
		}
		p.drain(w)
		// Spinning again before reporting done: the next job, which the
		// caller may start as soon as it sees done, finds the state it
		// expects (spinning, or sleeping after this worker gives up).
		st.Store(workerSpinning)
		p.done.Add(1)
	}
}

// workerScratch returns worker w's scratch buffer, at least size floats.
// Only worker w may call it while a job runs.
func (p *Pool) workerScratch(w, size int) []float32 {
	if cap(p.scratch[w]) < size {
		p.scratch[w] = make([]float32, size)
	}
	return p.scratch[w][:size]
}

// Ctx carries per-call resources: a worker pool and a scratch buffer the
// caller sized with the kernel's ScratchSize.
//
// With a Pool, GEMM-based kernels pack into the Pool's per-worker buffers
// and need Scratch only for what is not per worker (Dense's transposed
// output); without one, everything comes from Scratch. A nil *Ctx, or a
// Scratch shorter than ScratchSize, still works but allocates.
//
// A Ctx also holds the descriptors of the parallel loops kernels hand to the
// Pool, which is why one Ctx serves one caller at a time.
type Ctx struct {
	Pool    *Pool
	Scratch []float32

	jobs ctxJobs
}

// ctxJobs are the per-kernel job values; each kernel clears its own when it
// returns so the Ctx keeps no reference to the caller's data.
type ctxJobs struct {
	gemm  gemmJob
	dw    depthwiseJob
	pool  poolJob
	dense denseJob
	split splitJob
	first firstJob

	binary    binaryJob
	transpose transposeJob
	resize    resizeJob
	sigmoid   sigmoidJob
	up2add    up2AddJob
	pwdw      pointDepthJob
}

// jobsFor returns c's job values, or fresh ones (an allocation) for a nil
// Ctx.
func (c *Ctx) jobsFor() *ctxJobs {
	if c == nil {
		return new(ctxJobs)
	}
	return &c.jobs
}

func (c *Ctx) pool() *Pool {
	if c == nil {
		return nil
	}
	return c.Pool
}

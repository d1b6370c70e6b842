package api

import (
	"context"
	"sync/atomic"
	"time"
)

// limiter bounds how many verifications run at once (one per core by
// default: the networks are CPU-bound, so more only adds latency) and how
// many requests may wait for a slot, and for how long. Anything beyond is
// refused at once, so an overloaded server answers 503 quickly instead of
// queueing without bound.
type limiter struct {
	slots   chan struct{}
	queue   int64
	wait    time.Duration
	waiting atomic.Int64
}

func newLimiter(concurrency, queue int, wait time.Duration) *limiter {
	return &limiter{slots: make(chan struct{}, concurrency), queue: int64(queue), wait: wait}
}

// acquire takes a slot, waiting at most l.wait (and no longer than ctx) when
// a queue place is free. It reports whether the caller got a slot; if so the
// caller must release it.
func (l *limiter) acquire(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	if l.waiting.Add(1) > l.queue {
		l.waiting.Add(-1)
		return false
	}
	defer l.waiting.Add(-1)
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (l *limiter) release() { <-l.slots }

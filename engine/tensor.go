package engine

import (
	"fmt"
	"math"
)

// Tensor is a dense float32 array in row-major (NCHW for images) order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// ctensor is a tensor whose value is known before Run: a constant of the
// model (after folding) or a value computed while planning a session for one
// input shape (shape sub-graphs). Exactly one of f and i is used, by isInt.
type ctensor struct {
	shape []int
	isInt bool
	f     []float32
	i     []int64
}

func (c *ctensor) len() int { return numel(c.shape) }

// ints returns the values as int64 whatever the element type.
func (c *ctensor) ints() []int64 {
	if c.isInt {
		return c.i
	}
	out := make([]int64, len(c.f))
	for k, v := range c.f {
		out[k] = int64(v)
	}
	return out
}

// floats returns the values as float32 whatever the element type.
func (c *ctensor) floats() []float32 {
	if !c.isInt {
		return c.f
	}
	out := make([]float32, len(c.i))
	for k, v := range c.i {
		out[k] = float32(v)
	}
	return out
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// maxElements bounds every tensor the engine materialises (1 GiB of
// float32), so that a hostile shape is an error, not an out-of-memory crash.
const maxElements = 1 << 28

// checkedNumel multiplies dims, failing on negative dims or overflow of the
// element bound.
func checkedNumel(s []int) (int, error) {
	n := 1
	for _, d := range s {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", s)
		}
		if d != 0 && n > maxElements/d {
			return 0, fmt.Errorf("shape %v exceeds the limit of %d elements", s, maxElements)
		}
		n *= d
	}
	return n, nil
}

// broadcastShape is numpy broadcasting of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for k := 0; k < n; k++ {
		da, db := 1, 1
		if j := len(a) - n + k; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + k; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[k] = da
		case da == 1:
			out[k] = db
		case db == 1:
			out[k] = da
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// padShape left-pads s with 1s to rank n.
func padShape(s []int, n int) []int {
	out := make([]int, n)
	for k := range out {
		out[k] = 1
	}
	copy(out[n-len(s):], s)
	return out
}

func strides(s []int) []int {
	st := make([]int, len(s))
	acc := 1
	for k := len(s) - 1; k >= 0; k-- {
		st[k] = acc
		acc *= s[k]
	}
	return st
}

// normAxis maps a possibly negative ONNX axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	a := int(axis)
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return a, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

func sigmoid32(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

package main

import (
	"fmt"
	"testing"
)

// TestSplitByPlacement: rounds go to near or far only when the latency
// before and after agree; rounds that changed placement are left out.
func TestSplitByPlacement(t *testing.T) {
	vals := []float64{1, 2, 3, 4, 5}
	pp := [][2]float64{{50, 60}, {250, 240}, {50, 250}, {119, 80}, {300, 120}}
	near, far := splitByPlacement(vals, pp, 120)
	if got, want := fmt.Sprint(near, far), "[1 4] [2 5]"; got != want {
		t.Fatalf("near, far = %s, want %s", got, want)
	}
	if near, far := splitByPlacement(vals, pp[:2], 120); len(near)+len(far) != 2 {
		t.Fatalf("rounds without latencies were classified: %v %v", near, far)
	}
}

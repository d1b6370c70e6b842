package main

import (
	"fmt"
	"strings"
	"testing"
)

const sample = `commit: abc123
level: avx2
goos: linux
goarch: amd64
pkg: github.com/facegate/facegate/kernels
cpu: AMD EPYC
BenchmarkGemm/avx2-6x16/64/threads1-2    	    1000	    10000 ns/op	        52.4 GFLOP/s	  50.1 GFLOP/cpu-s
BenchmarkGemm/avx2-6x16/64/threads1-2    	    1000	    12000 ns/op	        48.0 GFLOP/s
BenchmarkGemm/avx2-6x16/64/threads1-2    	    1000	    11000 ns/op	        50.0 GFLOP/s
    bench_test.go:12: a log line: 3 things
BenchmarkNetwork/yunet640-2   	      20	  30000000 ns/op	        30.00 ms/op	       0 B/op	       0 allocs/op
BenchmarkNoProcs 	 5	 7 ns/op
BenchmarkBroken-2 	 5	 7 ns/op	 oops
level: avx512
BenchmarkGemm/avx512-12x32/64/threads1-2    	    1000	    5000 ns/op	        104.8 GFLOP/s
PASS
ok  	github.com/facegate/facegate/kernels	1.2s
`

func TestParseBench(t *testing.T) {
	rs, err := ParseBench(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 6 {
		t.Fatalf("got %d results, want 6: %+v", len(rs), rs)
	}
	if r := rs[0]; r.Name != "Gemm/avx2-6x16/64/threads1" || r.Procs != 2 || r.Iters != 1000 ||
		r.Metrics["GFLOP/s"] != 52.4 || r.Metrics["GFLOP/cpu-s"] != 50.1 || r.Config["level"] != "avx2" || r.Config["commit"] != "abc123" {
		t.Errorf("first result %+v", r)
	}
	if r := rs[3]; r.Name != "Network/yunet640" || r.Metrics["ms/op"] != 30 || r.Metrics["allocs/op"] != 0 {
		t.Errorf("network result %+v", r)
	}
	if r := rs[4]; r.Name != "NoProcs" || r.Procs != 1 {
		t.Errorf("no-procs result %+v", r)
	}
	if r := rs[5]; r.Config["level"] != "avx512" || r.Config["cpu"] != "AMD EPYC" {
		t.Errorf("a later configuration line must replace the key and keep the others: %+v", r.Config)
	}

	ss := Summarise(rs)
	if len(ss) != 4 {
		t.Fatalf("got %d summaries, want 4: %+v", len(ss), ss)
	}
	if s := ss[0]; s.Level != "avx2" || s.Count != 3 || s.Metrics["GFLOP/s"] != 50 || s.Metrics["ns/op"] != 11000 {
		t.Errorf("median of three runs: %+v", s)
	}
	if got := ss[1].ms(); got != 30 {
		t.Errorf("ms() = %v, want the reported ms/op 30", got)
	}
	if got := ss[2].ms(); got != 7e-6 {
		t.Errorf("ms() = %v, want ns/op in ms 7e-6", got)
	}
}

func TestKernelRows(t *testing.T) {
	rs, err := ParseBench(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	r := &reporter{sums: Summarise(rs), ghz: 2}
	shapes, v := r.kernelRows("Gemm")
	if len(shapes) != 1 || shapes[0] != "64" {
		t.Fatalf("shapes %v: the level-specific kernel name must not split a size", shapes)
	}
	if v["64"]["avx2"][1] != 50 || v["64"]["avx512"][1] != 104.8 {
		t.Errorf("rows %v", v)
	}
	if got := r.levels(); strings.Join(got, ",") != "avx2,avx512" {
		t.Errorf("levels %v", got)
	}
	if r.peak("avx2") != 64 || r.peak("avx512") != 128 || r.peak("generic") != 0 {
		t.Errorf("peaks at 2 GHz: %v %v", r.peak("avx2"), r.peak("avx512"))
	}
}

func TestBehind(t *testing.T) {
	p := &PeerResult{Rows: []PeerRow{
		{Network: "a", Threads: 1, FacegateMS: 1, ORTMS: 2},
		{Network: "a", Threads: 2, FacegateMS: 3, ORTMS: 2},
		{Network: "b", Threads: 1, FacegateMS: 5, ORTMS: 2},
		{Network: "b", Threads: 2, FacegateMS: 5, ORTMS: 2},
		{Network: "c", Threads: 1, FacegateMS: 1, ORTMS: 2},
	}}
	var got []string
	for _, r := range behind(p) {
		got = append(got, fmt.Sprintf("%s/%d", r.Network, r.Threads))
	}
	if strings.Join(got, ",") != "a/2,b/1,b/2" {
		t.Errorf("behind = %v, want a/2,b/1,b/2", got)
	}
}

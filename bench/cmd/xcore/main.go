// Command xcore measures what it costs two CPUs of this machine to hand
// data to each other: the one-way latency of a cache line bounced between
// threads pinned to the two CPUs, and how fast one CPU reads or overwrites
// a buffer the other has just written, against the CPU that wrote it. It
// also times the same arithmetic loop on each CPU: on a virtual machine one
// of them can run slower than the other for minutes at a time.
//
//	go run ./bench/cmd/xcore [-cpus 0,1] [-sizes 256K,1M,4M,16M,64M] [-reps 15]
//
// Threads that split each layer of a network exchange rows at every layer,
// so where these figures are much worse across CPUs than on one, two threads
// gain far less than two processes would (bench/README.md, "Two threads on
// this machine"). Virtual machines can change how far apart their CPUs are
// from one minute to the next: run it next to a slow result. Pinning
// threads needs Linux.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/facegate/facegate/bench/internal/cpupair"
)

func main() {
	cpuList := flag.String("cpus", "0,1", "the two CPUs to measure between")
	sizeList := flag.String("sizes", "256K,1M,4M,16M,64M", "buffer sizes (K and M suffixes)")
	reps := flag.Int("reps", 15, "repetitions per figure (the median is printed)")
	flag.Parse()
	cpus, err := parseInts(*cpuList)
	if err != nil || len(cpus) != 2 || cpus[0] == cpus[1] {
		fmt.Fprintln(os.Stderr, "xcore: -cpus wants two different CPU numbers")
		os.Exit(2)
	}
	sizes, err := parseSizes(*sizeList)
	if err != nil || *reps < 1 {
		fmt.Fprintln(os.Stderr, "xcore: bad -sizes or -reps")
		os.Exit(2)
	}
	var w [2]*cpupair.Worker
	for k, c := range cpus {
		if w[k], err = cpupair.Start(c); err != nil {
			fmt.Fprintf(os.Stderr, "xcore: %v\n", err)
			os.Exit(1)
		}
	}
	// median runs f reps times on who, each after prepare on w[0], and
	// returns the median time in seconds.
	median := func(who *cpupair.Worker, prepare, f func()) float64 {
		var d []float64
		for range *reps {
			if prepare != nil {
				w[0].Do(prepare)
			}
			d = append(d, who.Do(f).Seconds())
		}
		sort.Float64s(d)
		return d[len(d)/2]
	}
	fmt.Printf("CPUs %d and %d\n", cpus[0], cpus[1])
	spin := func() { sink.Add(spinLoop(1 << 22)) }
	fmt.Printf("the same arithmetic loop: %.2f ms on CPU %d, %.2f ms on CPU %d\n",
		median(w[0], nil, spin)*1e3, cpus[0], median(w[1], nil, spin)*1e3, cpus[1])
	fmt.Printf("cache line ping-pong: %.0f ns one way\n", cpupair.PingPong(w[0], w[1], 200000))
	fmt.Println("\nbuffer     read: same CPU   other CPU   overwrite: same CPU   other CPU   (GB/s)")
	for _, size := range sizes {
		buf := make([]float32, size/4)
		fill := func() { write(buf, 1) }
		read := func() { sink.Add(int64(sum(buf))) }
		over := func() { write(buf, 2) }
		gbs := func(s float64) float64 { return float64(size) / s / 1e9 }
		fmt.Printf("%-9s %15.1f %11.1f %20.1f %11.1f\n", sizeName(size),
			gbs(median(w[0], fill, read)), gbs(median(w[1], fill, read)),
			gbs(median(w[0], fill, over)), gbs(median(w[1], fill, over)))
	}
}

var sink atomic.Int64

// spinLoop is n rounds of a dependent integer recurrence: its time follows
// the clock the CPU gets, not memory.
func spinLoop(n int) int64 {
	x := int64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func write(b []float32, v float32) {
	for i := range b {
		b[i] = v
	}
}

func sum(b []float32) float32 {
	var s0, s1, s2, s3 float32
	for len(b) >= 4 {
		s0 += b[0]
		s1 += b[1]
		s2 += b[2]
		s3 += b[3]
		b = b[4:]
	}
	return s0 + s1 + s2 + s3
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseSizes reads sizes in bytes such as 256K or 4M (multiples of 16
// bytes, at most 1 GiB).
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mul := 1
		switch {
		case strings.HasSuffix(f, "K"):
			mul, f = 1<<10, strings.TrimSuffix(f, "K")
		case strings.HasSuffix(f, "M"):
			mul, f = 1<<20, strings.TrimSuffix(f, "M")
		}
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 || v > (1<<30)/mul || v*mul%16 != 0 {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, v*mul)
	}
	return out, nil
}

func sizeName(n int) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

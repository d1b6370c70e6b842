package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Result is one benchmark line of `go test -bench` output: the name
// without the "Benchmark" prefix and the -GOMAXPROCS suffix, the
// configuration lines ("key: value") in force above it, and every
// value/unit pair (ns/op, B/op, allocs/op, MB/s and b.ReportMetric units
// such as GFLOP/s or ms/op).
type Result struct {
	Name    string
	Procs   int
	Iters   int
	Config  map[string]string
	Metrics map[string]float64
}

var (
	benchLine  = regexp.MustCompile(`^Benchmark(\S+?)(?:-(\d+))?\s+(\d+)\s+(.+)$`)
	configLine = regexp.MustCompile(`^([a-z][^:\s]*):\s*(.*)$`)
)

// ParseBench reads the standard benchmark format
// (golang.org/x/perf/benchfmt): configuration lines apply to the results
// below them until changed; anything else (PASS, ok, logs) is skipped.
func ParseBench(r io.Reader) ([]Result, error) {
	var out []Result
	config := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if m := configLine.FindStringSubmatch(line); m != nil && !strings.HasPrefix(line, "Benchmark") {
			c := make(map[string]string, len(config)+1)
			for k, v := range config {
				c[k] = v
			}
			c[m[1]] = m[2]
			config = c
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		res := Result{Name: m[1], Procs: 1, Config: config, Metrics: map[string]float64{}}
		if m[2] != "" {
			res.Procs, _ = strconv.Atoi(m[2])
		}
		res.Iters, _ = strconv.Atoi(m[3])
		f := strings.Fields(m[4])
		if len(f)%2 != 0 {
			continue // not a result line (e.g. a log line starting with "Benchmark")
		}
		ok := true
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				ok = false
				break
			}
			res.Metrics[f[i+1]] = v
		}
		if ok {
			out = append(out, res)
		}
	}
	return out, sc.Err()
}

// ParseBenchFiles reads several benchmark outputs; a file's name is
// recorded as configuration key "file".
func ParseBenchFiles(paths []string) ([]Result, error) {
	var all []Result
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		rs, err := ParseBench(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for i := range rs {
			c := map[string]string{"file": p}
			for k, v := range rs[i].Config {
				c[k] = v
			}
			rs[i].Config = c
		}
		all = append(all, rs...)
	}
	return all, nil
}

// Summary is the median of each metric over repeated results (-count)
// with the same name and level.
type Summary struct {
	Name    string
	Level   string
	Procs   int
	Count   int
	Metrics map[string]float64
	Config  map[string]string // of the first result
}

// Summarise groups results by (level, name), taking the median of each
// metric. The level is the "level" configuration line (bench/report.sh
// writes one per FACEGATE_CPU run), else "".
func Summarise(rs []Result) []Summary {
	type key struct{ level, name string }
	groups := map[key][]Result{}
	var order []key
	for _, r := range rs {
		k := key{r.Config["level"], r.Name}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []Summary
	for _, k := range order {
		g := groups[k]
		s := Summary{Name: k.name, Level: k.level, Procs: g[0].Procs, Count: len(g), Metrics: map[string]float64{}, Config: g[0].Config}
		units := map[string][]float64{}
		for _, r := range g {
			for u, v := range r.Metrics {
				units[u] = append(units[u], v)
			}
		}
		for u, vs := range units {
			s.Metrics[u] = median(vs)
		}
		out = append(out, s)
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// find returns the summaries whose name starts with prefix.
func find(ss []Summary, prefix string) []Summary {
	var out []Summary
	for _, s := range ss {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// ms is a summary's time per operation in milliseconds: the ms/op or
// ms/request metric when reported, else ns/op.
func (s Summary) ms() float64 {
	for _, u := range []string{"ms/op", "ms/request"} {
		if v, ok := s.Metrics[u]; ok {
			return v
		}
	}
	return s.Metrics["ns/op"] / 1e6
}

package api

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Latency buckets in seconds: whole requests (decode + three networks on a
// couple of cores) and single pipeline stages.
var (
	requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	stageBuckets   = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
)

// histogram is a Prometheus histogram: per-bucket counts (not cumulative;
// they are summed when written), the sum and the count.
type histogram struct {
	bounds []float64
	counts []uint64 // len(bounds)+1; the last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: le is inclusive
	h.counts[i]++
	h.sum += v
	h.n++
}

// metrics is the service's counters, written in the Prometheus text format
// by hand to keep the binary free of a client library.
type metrics struct {
	inFlight atomic.Int64
	waiting  func() int64 // requests queued for a pipeline slot
	ready    func() bool

	mu       sync.Mutex
	requests map[[2]string]uint64 // endpoint, status
	errors   map[[2]string]uint64 // endpoint, error code
	latency  map[string]*histogram
	stages   map[string]*histogram
	busy     map[string]uint64 // endpoint → 503s from the concurrency limit
}

func newMetrics() *metrics {
	return &metrics{
		requests: map[[2]string]uint64{},
		errors:   map[[2]string]uint64{},
		latency:  map[string]*histogram{},
		stages:   map[string]*histogram{},
		busy:     map[string]uint64{},
	}
}

func (m *metrics) request(endpoint string, status int, d time.Duration, code string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{endpoint, strconv.Itoa(status)}]++
	if code != "" {
		m.errors[[2]string{endpoint, boundedCode(code)}]++
	}
	h := m.latency[endpoint]
	if h == nil {
		h = newHistogram(requestBuckets)
		m.latency[endpoint] = h
	}
	h.observe(d.Seconds())
}

// boundedCode keeps the error-code label's values a fixed set: Joi
// messages name the failing item ("gallery[7]" must be a string), and one
// series per index would let a client grow /metrics and the server's memory
// without bound, one request per index. Indexes become "[i]".
func boundedCode(code string) string {
	if !strings.Contains(code, "[") {
		return code
	}
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		b.WriteByte(code[i])
		if code[i] != '[' {
			continue
		}
		j := i + 1
		for j < len(code) && '0' <= code[j] && code[j] <= '9' {
			j++
		}
		if j > i+1 && j < len(code) && code[j] == ']' {
			b.WriteByte('i')
			i = j - 1
		}
	}
	return b.String()
}

func (m *metrics) stage(name string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.stages[name]
	if h == nil {
		h = newHistogram(stageBuckets)
		m.stages[name] = h
	}
	h.observe(d.Seconds())
}

func (m *metrics) rejected(endpoint string) {
	m.mu.Lock()
	m.busy[endpoint]++
	m.mu.Unlock()
}

// write renders every metric in the Prometheus text exposition format 0.0.4.
func (m *metrics) write(w io.Writer) error {
	var b strings.Builder
	m.mu.Lock()
	counter2(&b, "facegate_http_requests_total", "HTTP requests by endpoint and status code.", "endpoint", "status", m.requests)
	counter2(&b, "facegate_http_errors_total", "Error responses by endpoint and vendor error code.", "endpoint", "code", m.errors)
	counter1(&b, "facegate_busy_rejections_total", "Requests refused with 503: every pipeline slot and queue place taken, or the models not ready.", "endpoint", m.busy)
	histograms(&b, "facegate_http_request_duration_seconds", "Request latency by endpoint.", "endpoint", m.latency)
	histograms(&b, "facegate_pipeline_stage_duration_seconds", "Pipeline stage wall time (from the verifier's timings).", "stage", m.stages)
	m.mu.Unlock()
	gauge(&b, "facegate_http_in_flight_requests", "Requests being served now.", float64(m.inFlight.Load()))
	if m.waiting != nil {
		gauge(&b, "facegate_queue_waiting_requests", "Requests waiting for a pipeline slot.", float64(m.waiting()))
	}
	if m.ready != nil {
		r := 0.0
		if m.ready() {
			r = 1
		}
		gauge(&b, "facegate_ready", "1 once the models are loaded and warmed up.", r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func counter2(b *strings.Builder, name, help, l1, l2 string, m map[[2]string]uint64) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(b, "%s{%s=%q,%s=%q} %d\n", name, l1, labelValue(k[0]), l2, labelValue(k[1]), m[k])
	}
}

func counter1(b *strings.Builder, name, help, l string, m map[string]uint64) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(b, "%s{%s=%q} %d\n", name, l, labelValue(k), m[k])
	}
}

func gauge(b *strings.Builder, name, help string, v float64) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, formatFloat(v))
}

func histograms(b *strings.Builder, name, help, l string, m map[string]*histogram) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	for _, k := range sortedKeys(m) {
		h := m[k]
		lv := labelValue(k)
		var cum uint64
		for i, bound := range h.bounds {
			cum += h.counts[i]
			fmt.Fprintf(b, "%s_bucket{%s=%q,le=%q} %d\n", name, l, lv, formatFloat(bound), cum)
		}
		fmt.Fprintf(b, "%s_bucket{%s=%q,le=\"+Inf\"} %d\n", name, l, lv, h.n)
		fmt.Fprintf(b, "%s_sum{%s=%q} %s\n", name, l, lv, formatFloat(h.sum))
		fmt.Fprintf(b, "%s_count{%s=%q} %d\n", name, l, lv, h.n)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// labelValue keeps label values printable; %q then applies the escaping the
// text format wants for backslash, quote and newline. Values here come from
// fixed endpoint names, status codes, error codes and stage names.
func labelValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

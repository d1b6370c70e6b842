package main

import (
	"net/url"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.1.2.3:80", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"https://LOCALHOST", true},
		{"http://10.0.0.1:8080", false},
		{"http://0.0.0.0:8080", false},
		{"http://[::]:8080", false},
		{"http://example.com", false},
		{"http://localhost.example.com", false},
		{"http://128.0.0.1", false},
		{"ftp://127.0.0.1", false},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkLoopback(u); (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var ms []float64
	for i := 100; i >= 1; i-- {
		ms = append(ms, float64(i))
	}
	got := percentiles(ms)
	want := Latency{P50: 50, P90: 90, P99: 99, Max: 100, Mean: 50.5}
	if got != want {
		t.Errorf("percentiles(1..100) = %+v, want %+v", got, want)
	}
	if got := percentiles(nil); got != (Latency{}) {
		t.Errorf("percentiles(nil) = %+v", got)
	}
}

// Package bench holds facegate's end-to-end benchmarks — one whole
// compare-live request through the HTTP handler and each pipeline stage on
// real photos — beside the commands that drive the benchmark suite:
// cmd/peer (facegate against ONNX Runtime), cmd/load (a load generator for
// a running `facegate serve`) and cmd/report (charts and a markdown
// report). See README.md; `bash bench/report.sh` regenerates everything.
package bench

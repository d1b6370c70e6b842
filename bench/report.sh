#!/usr/bin/env bash
# Regenerates facegate's performance report from scratch: kernel
# benchmarks at every dispatch level this CPU has, the engine's network
# benchmarks at 1 and 2 threads, the pipeline stage and whole-request
# benchmarks, the ONNX Runtime peer comparison (and a many-round run of
# YuNet 640 split by where the host placed the two vCPUs), a CPU profile of each
# network where facegate is still behind ONNX Runtime, the HTTP load test,
# and then the charts (bench/report/*.png), bench/report/REPORT.md and the
# results section of bench/README.md.
#
#   bash bench/report.sh            # ~6 minutes on 2 cores
#   QUICK=1 bash bench/report.sh    # ~2 minutes: fewer runs, shorter steps (smoke test)
#   CLEAN=1 bash bench/report.sh    # measure the committed HEAD, not the working tree
#
# Needs: Go, ../shared (or FACEGATE_SHARED), node + bench/peer/node_modules
# (npm install --ignore-scripts in bench/peer, or PEER_DIR=...) for the
# peer comparison. Raw outputs go to bench/report/raw/ in the standard
# benchmark format, so two runs compare with benchstat (see
# bench/README.md). A stage that fails is reported and skipped; the report
# is drawn from what succeeded and the script exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."
test -f go.mod || { echo "report.sh: run from a facegate checkout" >&2; exit 1; }

# CLEAN=1: run on an export of HEAD, so that uncommitted work in this
# checkout (yours or anyone's) cannot break or colour the numbers, then
# bring the results back and redraw the report here.
if [ "${CLEAN:-0}" = 1 ]; then
	export_dir=$(mktemp -d)
	trap 'rm -rf "$export_dir"' EXIT
	git archive HEAD | tar -x -C "$export_dir"
	shared=${FACEGATE_SHARED:-$(cd .. && pwd)/shared}
	here=$(pwd)
	rc=0
	(cd "$export_dir" && CLEAN=0 COMMIT=$(git -C "$here" rev-parse --short HEAD) FACEGATE_SHARED="$shared" \
		PEER_DIR="${PEER_DIR:-$here/bench/peer}" bash bench/report.sh) || rc=$?
	# Copy over, not replace: bench/report may hold committed files this
	# script does not make (the soak chart).
	mkdir -p bench/report
	cp -r "$export_dir/bench/report/." bench/report/
	args=(-bench "bench/report/raw/*.txt" -out bench/report -readme bench/README.md)
	[ -f bench/report/raw/peer.json ] && args+=(-peer bench/report/raw/peer.json)
	[ -f bench/report/raw/placement.json ] && args+=(-placement bench/report/raw/placement.json)
	[ -f bench/report/raw/load.json ] && args+=(-load bench/report/raw/load.json)
	[ "${QUICK:-0}" = 1 ] && args+=(-note "QUICK=1 smoke run: single short runs, too noisy to quote; run bash bench/report.sh for the real numbers.")
	go run ./bench/cmd/report "${args[@]}" || rc=1
	exit $rc
fi

OUT=bench/report
RAW=$OUT/raw
mkdir -p "$RAW"
rm -f "$RAW"/*.txt "$RAW"/*.failed "$RAW"/*.json "$RAW"/*.md "$OUT"/*.png "$OUT"/pprof-*.txt

if [ "${QUICK:-0}" = 1 ]; then
	KT=50ms; KCOUNT=1; NX=5x; NCOUNT=1; PX=3x; PCOUNT=1
	PEER="-runs 5 -rounds 1"; PLACEMENT="-runs 5 -rounds 2"; LOAD="-step 2s -step-requests 200"; PROFT=1s
else
	KT=150ms; KCOUNT=3; NX=20x; NCOUNT=3; PX=10x; PCOUNT=3
	PEER="-runs 20 -rounds 3"; PLACEMENT="-runs 20 -rounds 60"; LOAD="-step 10s -step-requests 1000"; PROFT=3s
fi

PEER_DIR=${PEER_DIR:-bench/peer}
failed=()
start=$(date +%s)
step() { echo "== $(( $(date +%s) - start ))s: $*" >&2; }
# header writes benchfmt configuration lines the report and benchstat read.
header() {
	echo "commit: ${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	[ -r /proc/loadavg ] && echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
	[ $# -gt 0 ] && echo "level: $1"
	return 0
}

# bench NAME LEVEL CMD...: run a benchmark command into $RAW/NAME.txt
# under configuration lines; on failure keep the output as NAME.failed.
bench() {
	local name=$1 level=$2
	shift 2
	if { header $level; "$@"; } > "$RAW/$name.txt" 2>&1; then
		return 0
	fi
	mv "$RAW/$name.txt" "$RAW/$name.failed"
	echo "report.sh: $name failed; output in $RAW/$name.failed" >&2
	failed+=("$name")
}

for level in $(go run ./bench/cmd/report -levels); do
	step "kernels at FACEGATE_CPU=$level"
	gemm='BenchmarkGemm$'
	# Pure-Go GEMM at n=1024 takes seconds per call and says nothing new.
	[ "$level" = generic ] && gemm='BenchmarkGemm$/./^(64|128|256|512)$'
	bench "kernels-$level" "$level" env FACEGATE_CPU="$level" \
		sh -c "go test -run '^\$' -bench '$gemm' -benchtime $KT -count $KCOUNT ./kernels/ &&
		       go test -run '^\$' -bench 'Benchmark(Conv|Dense|PointDepth)\$' -benchtime $KT -count $KCOUNT ./kernels/"
done
step "micro-kernel ceiling"
bench kernels-micro "" go test -run '^$' -bench 'BenchmarkMicroKernel' -benchtime "$KT" -count "$KCOUNT" ./kernels/

step "engine networks at 1 and 2 threads"
bench engine "" go test -run '^$' -bench 'BenchmarkNetwork(Threads)?$' -benchmem -benchtime "$NX" -count "$NCOUNT" ./engine/

step "engine networks at every kernel level, 1 and N threads"
bench engine-levels "" go test -run '^$' -bench 'BenchmarkNetworkLevels$' -benchmem -benchtime "$NX" -count 1 ./engine/

step "pipeline stages and whole compare-live request"
bench pipeline "" go test -run '^$' -bench . -benchmem -benchtime "$PX" -count "$PCOUNT" ./bench/

step "image decoding and the HTTP layer"
bench layers "" go test -run '^$' -bench . -benchmem -benchtime "$PX" -count "$PCOUNT" ./nets/imageio/ ./api/

step "facegate vs ONNX Runtime"
# shellcheck disable=SC2086
go run ./bench/cmd/peer $PEER -peer "$PEER_DIR" -json "$RAW/peer.json" -out "$RAW/peer.md" || { failed+=(peer); rm -f "$RAW/peer.json"; }

if [ -f "$RAW/peer.json" ]; then
	go run ./bench/cmd/report -peer "$RAW/peer.json" -behind | while read -r net threads; do
		step "profiling $net at $threads thread(s) (behind ONNX Runtime)"
		b='BenchmarkNetwork$'
		[ "$threads" = 1 ] || b='BenchmarkNetworkThreads$'
		prof=$(mktemp -d)
		if go test -run '^$' -bench "$b/^$net\$" -benchtime "$PROFT" -cpuprofile "$prof/cpu.prof" -o "$prof/engine.test" ./engine/ > /dev/null; then
			go tool pprof -top -nodecount 25 "$prof/engine.test" "$prof/cpu.prof" > "$OUT/pprof-$net-t$threads.txt" 2>/dev/null
		else
			echo "report.sh: profiling $net failed" >&2
		fi
		rm -rf "$prof"
	done
fi

step "YuNet 640 at 1 and 2 threads, rounds split by where the host placed the vCPUs"
# shellcheck disable=SC2086
go run ./bench/cmd/peer -nets yunet640 $PLACEMENT -peer "$PEER_DIR" -json "$RAW/placement.json" -out "$RAW/placement.md" || { failed+=(placement); rm -f "$RAW/placement.json"; }

step "load test (loopback)"
# shellcheck disable=SC2086
go run ./bench/cmd/load $LOAD -json "$RAW/load.json" > "$RAW/load.md" || { failed+=(load); rm -f "$RAW/load.json"; }

step "charts and report"
args=(-bench "$RAW/*.txt" -out "$OUT" -readme bench/README.md)
[ -f "$RAW/peer.json" ] && args+=(-peer "$RAW/peer.json")
[ -f "$RAW/placement.json" ] && args+=(-placement "$RAW/placement.json")
[ -f "$RAW/load.json" ] && args+=(-load "$RAW/load.json")
[ "${QUICK:-0}" = 1 ] && args+=(-note "QUICK=1 smoke run: single short runs, too noisy to quote; run bash bench/report.sh for the real numbers.")
go run ./bench/cmd/report "${args[@]}" || failed+=(report)
if [ ${#failed[@]} -gt 0 ]; then
	step "done with failures: ${failed[*]} (see the files in $RAW)"
	exit 1
fi
step "done: $OUT/REPORT.md, $OUT/*.png, bench/README.md"

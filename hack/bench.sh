#!/usr/bin/env bash
# The benchmarks of test/bench against real Apache Kafka (KRaft, from hack/kafka.sh's cache) and the
# embedded FerretDB. Figures go to docs/benchmarks.md.
#
#   hack/bench.sh                       every benchmark, -benchtime 5s, then the vegeta intake load run
#   BENCH='Pipeline' BENCHTIME=1x hack/bench.sh
#
# The broker runs in a temporary directory on free ports and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="$(mktemp -d)"
cleanup() {
	hack/kafka.sh stop "$dir/kafka" || true
	rm -rf "$dir"
}
trap cleanup EXIT

in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
while [ -z "$port" ]; do
	p=$((20000 + RANDOM % 30000))
	if ! in_use "$p" && ! in_use "$((p + 1))"; then
		port="$p"
	fi
done
brokers="$(hack/kafka.sh start "$dir/kafka" "$port")"
echo "bench.sh: Apache Kafka at $brokers" >&2
if [ -n "${BENCH:-}" ]; then
	KALYAN_BENCH_KAFKA="$brokers" ${GO:-go} test -run '^$' -bench "$BENCH" -benchtime "${BENCHTIME:-5s}" -count 1 -timeout 60m ./test/bench/
	exit
fi
KALYAN_BENCH_KAFKA="$brokers" ${GO:-go} test -run '^$' -bench . -skip IntakeLoad -benchtime "${BENCHTIME:-5s}" -count 1 -timeout 60m ./test/bench/
# Donation intake under vegeta beside raw inserts, one run (~25 s; KALYAN_BENCH_PHASE sets each phase, default 5s).
${GO:-go} test -run '^$' -bench IntakeLoad -benchtime 1x -count 1 -timeout 10m ./test/bench/

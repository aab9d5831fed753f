#!/usr/bin/env bash
# Runs benchmarks of test/bench on this tree and on a baseline commit in the same run, alternating
# rounds so both see the same machine. The baseline gets this tree's copies of the benchmark files
# named in BENCH_FILES, so both sides measure the same thing.
#
#   hack/bench-baseline.sh BASE BENCH [BENCHTIME] [ROUNDS]
#   BENCH_FILES=test/bench/public_test.go hack/bench-baseline.sh 7f0c1d2 PublicRoutes 2s 2
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:?usage: hack/bench-baseline.sh BASE BENCH [BENCHTIME] [ROUNDS]}
bench=${2:?benchmark regexp}
benchtime=${3:-2s}
rounds=${4:-2}
files=${BENCH_FILES:-test/bench/public_test.go}
go=${GO:-go}

dir="$(mktemp -d)"
cleanup() {
	git worktree remove --force "$dir/base" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
git worktree add --detach -q "$dir/base" "$base"
for f in $files; do
	cp "$f" "$dir/base/$f"
done
run() { "$go" test -run '^$' -bench "$bench" -benchtime "$benchtime" -count 1 -timeout 60m ./test/bench/; }
for round in $(seq "$rounds"); do
	echo "== round $round: baseline $(git rev-parse --short "$base")"
	(cd "$dir/base" && run)
	echo "== round $round: this tree $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
	run
done

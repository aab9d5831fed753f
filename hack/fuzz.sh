#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for FUZZTIME each (make fuzz).
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context deadline exceeded" when a duration
# -fuzztime ends while a worker is mid-input (golang/go#75804, fixed in Go 1.27): no failing input is written
# and the target is fine. Such a run, and only such a run, is repeated once; any other failure (a failing
# input written to testdata/fuzz, a panic, a t.Error) fails at once, and a second deadline failure fails too.
set -euo pipefail
cd "$(dirname "$0")/.."

go=${GO:-go}
fuzztime=${FUZZTIME:-5s}
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

deadline_flake() {
	grep -q 'context deadline exceeded' "$log" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
}

for file in $(git ls-files '*_test.go' | xargs grep -l '^func Fuzz'); do
	pkg="./$(dirname "$file")"
	for f in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		for attempt in 1 2; do
			if [ "$attempt" = 1 ]; then
				echo "== $pkg $f"
			else
				echo "== $pkg $f again: a bare deadline failure, no failing input (golang/go#75804)"
			fi
			if "$go" test -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$log"; then
				break
			fi
			if [ "$attempt" = 1 ] && deadline_flake; then
				continue
			fi
			exit 1
		done
	done
done

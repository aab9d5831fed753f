#!/usr/bin/env bash
# Deep static checks (issue 16): staticcheck and deadcode at pinned versions from the Go module proxy
# (`go run module@version` builds them once into the Go cache).
#
# deadcode reports functions no binary's main reaches. Packages that exist for tests (test/...,
# operator/internal/testenv, internal/kubetest) are left out; any other function that only tests reach must say
# why on a "Reached only by tests:" line of its doc comment, or the check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK="honnef.co/go/tools/cmd/staticcheck@v0.8.2"
DEADCODE="golang.org/x/tools/cmd/deadcode@v0.52.0"

status=0
echo "staticcheck ($STATICCHECK)"
go run "$STATICCHECK" ./... || status=1

echo "deadcode ($DEADCODE)"
findings=$(go run "$DEADCODE" ./... | grep -v -E '^(test/|operator/internal/testenv/|internal/kubetest/)' || true)
while IFS= read -r f; do
	[[ -z "$f" ]] && continue
	file=${f%%:*}
	rest=${f#*:}
	line=${rest%%:*}
	# The doc comment right above the func line must carry the justification.
	if ! awk -v l="$line" 'NR < l { if ($0 ~ /^[[:space:]]*\/\//) { block = block "\n" $0 } else { block = "" } }
		END { exit !(block ~ /Reached only by tests:/) }' "$file"; then
		echo "$f (unjustified: remove it, move it into the tests, or say why on a 'Reached only by tests:' line)"
		status=1
	fi
done <<<"$findings"
exit $status

#!/usr/bin/env bash
# Fuzzes the served OpenAPI spec with schemathesis (PyPI) against the embedded stack, with a platform-admin
# token so staff routes are exercised too. Fails on any 5xx or any response that violates the spec.
#   hack/schemathesis.sh [max-examples]
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-25}"
command -v schemathesis >/dev/null 2>&1 || pip install -q "schemathesis>=4,<5" >&2

work="$(mktemp -d)"
port=18080
export KALYAN_DATA_DIR="$work/data" KALYAN_HTTP_ADDR="127.0.0.1:$port" KALYAN_WORKER_ADDR="127.0.0.1:18081" \
  KALYAN_SANDBOX_ADDR="127.0.0.1:18090" KALYAN_HTTP_RATE_LIMIT=0 KALYAN_LOG_LEVEL=error
go build -o "$work/kalyan-dev" ./internal/devstack/cmd/kalyan-dev
go build -o "$work/kalyan-api" ./api
"$work/kalyan-dev" >"$work/dev.log" 2>&1 &
dev=$!
trap 'kill -INT $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/dev.log"; exit 1; }
token="$("$work/kalyan-api" token --role platform_admin --sub schemathesis)"

schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port/api/v1" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --seed 1 --no-color

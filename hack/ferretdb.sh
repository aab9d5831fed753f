#!/usr/bin/env bash
# FerretDB (the MongoDB wire protocol) as its own program, on PostgreSQL, for the
# end-to-end suite.
#
#   hack/ferretdb.sh [install]                    build the binary (idempotent); prints its path
#   hack/ferretdb.sh run <dir> <port> <pg-url>    exec FerretDB in the foreground (state in <dir>)
#   hack/ferretdb.sh start <dir> <port> <pg-url>  same in the background; waits; prints the MongoDB URI
#   hack/ferretdb.sh stop <dir>
#
# The module proxy serves cmd/ferretdb only through a module that requires it as a tool, so the
# binary is built in a throw-away wrapper module under ${XDG_CACHE_HOME:-$HOME/.cache}/kalyan/,
# keyed by version (the project's go.mod is never touched).
set -euo pipefail

FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kalyan"
HOME_DIR="$CACHE/ferretdb-$FERRETDB_VERSION"
BIN="$HOME_DIR/bin/ferretdb"

die() { echo "ferretdb.sh: $*" >&2; exit 1; }

install() {
	if [ -x "$BIN" ]; then
		return
	fi
	command -v go >/dev/null 2>&1 || die "go not found"
	echo "ferretdb.sh: building FerretDB $FERRETDB_VERSION into $HOME_DIR (a few minutes the first time)" >&2
	local mod="$HOME_DIR/module"
	rm -rf "$mod"
	mkdir -p "$mod" "$HOME_DIR/bin"
	(
		cd "$mod"
		export GOFLAGS=-mod=mod GOWORK=off
		go mod init kalyan.local/ferretdb-tool >/dev/null 2>&1
		go get -tool "github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION" >&2
		# The module as served lacks build/version/version.txt, which its release builds generate
		# from git; without it the program panics at start. Build from a copy that has it.
		src="$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)"
		rm -rf "$HOME_DIR/src"
		cp -r "$src" "$HOME_DIR/src"
		chmod -R u+w "$HOME_DIR/src"
		echo "$FERRETDB_VERSION" >"$HOME_DIR/src/build/version/version.txt"
		go mod edit -replace "github.com/FerretDB/FerretDB=$HOME_DIR/src"
		CGO_ENABLED=0 GOBIN="$HOME_DIR/bin.tmp" go install -trimpath github.com/FerretDB/FerretDB/cmd/ferretdb >&2
	) || die "could not build FerretDB $FERRETDB_VERSION"
	mv "$HOME_DIR/bin.tmp/ferretdb" "$BIN"
	rm -rf "$HOME_DIR/bin.tmp"
}

args() {
	[ $# -ge 3 ] || die "usage: ferretdb.sh run|start <dir> <port> <postgresql-url>"
	DIR="$(mkdir -p "$1" && cd "$1" && pwd)"
	PORT="$2"
	ARGS=(--handler=postgresql "--postgresql-url=$3" "--listen-addr=127.0.0.1:$PORT"
		"--state-dir=$DIR" --debug-addr=- --telemetry=disable --log-level="${FERRETDB_LOG_LEVEL:-warn}")
}

cmd="${1:-install}"
[ $# -gt 0 ] && shift
case "$cmd" in
install)
	install
	echo "$BIN"
	;;
run)
	install
	args "$@"
	exec "$BIN" "${ARGS[@]}"
	;;
start)
	install
	args "$@"
	setsid "$BIN" "${ARGS[@]}" >"$DIR/ferretdb.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$DIR/ferretdb.pid"
	for _ in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
			echo "mongodb://127.0.0.1:$PORT/"
			exit 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 40 "$DIR/ferretdb.log" >&2
	die "FerretDB did not open 127.0.0.1:$PORT"
	;;
stop)
	[ $# -ge 1 ] || die "usage: ferretdb.sh stop <dir>"
	[ -f "$1/ferretdb.pid" ] || exit 0
	pid="$(cat "$1/ferretdb.pid")"
	kill -TERM -- "-$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$1/ferretdb.pid"
	;;
*)
	die "unknown command $cmd (install, run, start, stop)"
	;;
esac

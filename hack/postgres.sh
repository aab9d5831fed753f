#!/usr/bin/env bash
# A private PostgreSQL cluster (Debian's `postgresql`) in a directory of its own, on a port of its
# own, for FerretDB in the end-to-end suite. It never touches the system's clusters.
#
#   hack/postgres.sh [install]          make sure the server is installed; prints its bin directory
#   hack/postgres.sh init <dir>         initdb into <dir>/data (idempotent)
#   hack/postgres.sh run <dir> <port>   init if needed, then exec the server in the foreground
#   hack/postgres.sh start <dir> <port> same in the background (pg_ctl); prints the FerretDB URL
#   hack/postgres.sh createdb <port> [name]  create database <name> (default ferretdb) if missing, with an index
#                                       on _id for every FerretDB table (see below); prints its URL
#   hack/postgres.sh stop <dir>
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (created by
# the Debian package): <dir> is handed to it, and every directory above <dir> must be searchable
# by it. Authentication is `trust` and the server listens on 127.0.0.1 only: a throw-away test
# cluster. fsync is off (nothing here outlives the machine).
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

bindir() {
	local d
	d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
	if [ -n "$d" ] && [ -x "$d/postgres" ]; then
		echo "$d"
	fi
}

install() {
	if [ -n "$(bindir)" ] && command -v psql >/dev/null 2>&1; then
		return
	fi
	[ "$(id -u)" = 0 ] || die "PostgreSQL is not installed: run 'apt-get install postgresql' as root"
	echo "postgres.sh: installing Debian's postgresql" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql >&2
	[ -n "$(bindir)" ] || die "postgresql installed but no server binary found under /usr/lib/postgresql"
}

# OWNER prefixes a command so it runs as the cluster's owner: ourselves, or `postgres` when we
# are root. setpriv execs in place (no extra process) and keeps a parent-death signal across
# the user switch, so a server started by a test dies with it.
OWNER=()
if [ "$(id -u)" = 0 ]; then
	OWNER=(setpriv --reuid=postgres --regid=postgres --init-groups --pdeathsig keep --)
fi

as() { "${OWNER[@]}" "$@"; }

init() {
	[ $# -ge 1 ] || die "usage: postgres.sh init <dir>"
	install
	mkdir -p "$1"
	DIR="$(cd "$1" && pwd)"
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$DIR"
	fi
	if [ -f "$DIR/data/PG_VERSION" ]; then
		return
	fi
	as "$(bindir)/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
		{ cat "$DIR/initdb.log" >&2; die "initdb failed"; }
}

server_opts() {
	OPTS=(-p "$1" -k "$DIR" -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off
		-c max_connections=200 -c log_min_messages=warning)
}

cmd="${1:-install}"
[ $# -gt 0 ] && shift
case "$cmd" in
install)
	install
	bindir
	;;
init)
	init "$@"
	;;
run)
	[ $# -ge 2 ] || die "usage: postgres.sh run <dir> <port>"
	init "$1"
	server_opts "$2"
	exec "${OWNER[@]}" "$(bindir)/postgres" -D "$DIR/data" "${OPTS[@]}"
	;;
start)
	[ $# -ge 2 ] || die "usage: postgres.sh start <dir> <port>"
	init "$1"
	server_opts "$2"
	as "$(bindir)/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 120 -o "${OPTS[*]}" start >&2
	"$0" createdb "$2" ferretdb
	;;
createdb)
	[ $# -ge 1 ] || die "usage: postgres.sh createdb <port> [name]"
	name="${2:-ferretdb}"
	q=(psql -X -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
	if [ "$("${q[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
		"${q[@]}" -c "CREATE DATABASE \"$name\"" >&2
	fi
	# FerretDB 1.x finds a document by _id with `_jsonb->'_id' @> $1`, which its own btree index on
	# (_jsonb->'_id') cannot serve: every point read scans the whole table, so each gets slower as
	# the data grows (49 ms per read at 10,000 donation versions). A GIN index on the same
	# expression serves @> (0.02 ms); the event trigger gives every table FerretDB creates one.
	psql -X -q -h 127.0.0.1 -p "$1" -U postgres -d "$name" -v ON_ERROR_STOP=1 >&2 <<'SQL'
CREATE OR REPLACE FUNCTION kalyan_id_gin() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT c.oid, c.relname, n.nspname FROM pg_event_trigger_ddl_commands() d
		JOIN pg_class c ON c.oid = d.objid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE d.command_tag = 'CREATE TABLE' AND c.relkind = 'r'
	LOOP
		IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = r.oid AND attname = '_jsonb' AND NOT attisdropped) THEN
			EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> ''_id'') jsonb_path_ops)',
				r.relname || '_id_gin', r.nspname, r.relname);
		END IF;
	END LOOP;
END
$fn$;
DROP EVENT TRIGGER IF EXISTS kalyan_id_gin;
CREATE EVENT TRIGGER kalyan_id_gin ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION kalyan_id_gin();
SQL
	echo "postgres://postgres@127.0.0.1:$1/$name"
	;;
stop)
	[ $# -ge 1 ] || die "usage: postgres.sh stop <dir>"
	DIR="$(cd "$1" && pwd)"
	[ -f "$DIR/data/postmaster.pid" ] || exit 0
	as "$(bindir)/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
	;;
*)
	die "unknown command $cmd (install, init, run, start, createdb, stop)"
	;;
esac

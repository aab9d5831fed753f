#!/usr/bin/env bash
# Real Apache Kafka (KRaft, one node acting as broker and controller) from
# Maven Central jars, for the end-to-end suite and local experiments.
#
#   hack/kafka.sh [fetch]                       fetch the jars (idempotent); prints KAFKA_HOME
#   hack/kafka.sh run   <dir> <port> [ctl-port] format <dir> if new, then exec the broker (foreground)
#   hack/kafka.sh start <dir> <port> [ctl-port] same in the background; waits for the port; prints host:port
#   hack/kafka.sh stop  <dir>                   stop what `start` started
#
# The jars go to ${XDG_CACHE_HOME:-$HOME/.cache}/kalyan/kafka-<version>/lib, outside the clone, so a
# second run (and CI on the same machine) is fast. KAFKA_VERSION picks the version (default 4.1.2;
# 3.9.x also works: its logging and KRaft quorum settings differ and are handled below).
# The controller port defaults to <port>+1. KAFKA_HEAP overrides the heap (default 1G).
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.1.2}"
LOG4J_VERSION="${LOG4J_VERSION:-2.26.1}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kalyan"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"

die() { echo "kafka.sh: $*" >&2; exit 1; }

major() { echo "${KAFKA_VERSION%%.*}"; }

# fetch copies kafka_2.13 and its runtime dependencies, plus a log4j binding
# (the POM leaves logging bindings out), into $KAFKA_HOME/lib. Kafka 4.1 still
# logs through SLF4J 1.7, hence log4j-slf4j-impl (not the slf4j2 one).
fetch() {
	if [ -f "$KAFKA_HOME/.complete" ]; then
		return
	fi
	if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "java and mvn are needed: apt-get install openjdk-17-jre-headless maven"
		echo "kafka.sh: installing Debian's openjdk-17-jre-headless and maven" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq openjdk-17-jre-headless maven >&2
	fi
	local work binding
	work="$(mktemp -d)"
	if [ "$(major)" -ge 4 ]; then
		binding="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>"
	else
		binding="<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>"
	fi
	cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.kalyan</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    $binding
  </dependencies>
</project>
EOF
	echo "kafka.sh: fetching kafka_2.13:$KAFKA_VERSION from Maven Central into $KAFKA_HOME" >&2
	rm -rf "$KAFKA_HOME.tmp"
	mkdir -p "$KAFKA_HOME.tmp/lib"
	if ! (cd "$work" && mvn -B -q -Dstyle.color=never -f pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME.tmp/lib" >&2); then
		rm -rf "$work"
		die "maven could not fetch kafka_2.13:$KAFKA_VERSION"
	fi
	rm -rf "$work"
	rm -rf "$KAFKA_HOME"
	mv "$KAFKA_HOME.tmp" "$KAFKA_HOME"
	touch "$KAFKA_HOME/.complete"
}

# configure writes <dir>/server.properties and the logging config.
configure() {
	local dir="$1" port="$2" ctl="$3"
	mkdir -p "$dir/data"
	{
		echo "process.roles=broker,controller"
		echo "node.id=1"
		if [ "$(major)" -ge 4 ]; then
			echo "controller.quorum.bootstrap.servers=127.0.0.1:$ctl"
		else
			echo "controller.quorum.voters=1@127.0.0.1:$ctl"
		fi
		echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctl"
		echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
		echo "controller.listener.names=CONTROLLER"
		echo "inter.broker.listener.name=PLAINTEXT"
		echo "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
		echo "log.dirs=$dir/data"
		echo "num.partitions=1"
		echo "offsets.topic.replication.factor=1"
		echo "offsets.topic.num.partitions=12"
		echo "transaction.state.log.replication.factor=1"
		echo "transaction.state.log.min.isr=1"
		echo "group.initial.rebalance.delay.ms=0"
		# Lets KALYAN_KAFKA_SESSION_TIMEOUT go below the 6 s default minimum
		# (faster failover when a worker is killed; docs/chaos.md).
		echo "group.min.session.timeout.ms=1000"
		echo "auto.create.topics.enable=false"
	} >"$dir/server.properties"
	cat >"$dir/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
EOF
	cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka=WARN
EOF
}

java_args() {
	local dir="$1"
	local heap="${KAFKA_HEAP:-1G}"
	JAVA_ARGS=(-Xmx"$heap" -Xms"$heap" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
		-Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties"
		-Dlog4j.configuration="file:$dir/log4j.properties" -cp "$KAFKA_HOME/lib/*")
}

# format formats the storage once (meta.properties marks a formatted log dir).
format() {
	local dir="$1"
	if [ -f "$dir/data/meta.properties" ]; then
		return
	fi
	java_args "$dir"
	local id extra=()
	# A cluster id is 16 random bytes in URL-safe base64 without padding
	# (what `StorageTool random-uuid` prints, without a second JVM start).
	# Like Kafka's own, it never starts with '-' (it would read as an option).
	id=-
	while [ "${id:0:1}" = - ]; do
		id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
	done
	if [ "$(major)" -ge 4 ]; then
		extra=(--standalone)
	fi
	java "${JAVA_ARGS[@]}" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" "${extra[@]}" >&2
}

wait_port() {
	local port="$1" pid="$2" tries=0
	until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || return 1
		tries=$((tries + 1))
		[ "$tries" -lt 1200 ] || return 1 # 120 s: a cold JVM on a busy 2-core machine
		sleep 0.1
	done
}

prepare() {
	[ $# -ge 2 ] || die "usage: kafka.sh run|start <dir> <port> [controller-port]"
	DIR="$(mkdir -p "$1" && cd "$1" && pwd)"
	PORT="$2"
	CTL="${3:-$((PORT + 1))}"
	fetch
	configure "$DIR" "$PORT" "$CTL"
	format "$DIR"
	java_args "$DIR"
}

cmd="${1:-fetch}"
[ $# -gt 0 ] && shift
case "$cmd" in
fetch)
	fetch
	echo "$KAFKA_HOME"
	;;
run)
	prepare "$@"
	exec java "${JAVA_ARGS[@]}" kafka.Kafka "$DIR/server.properties"
	;;
start)
	prepare "$@"
	# setsid: the broker gets its own process group, which `stop` kills whole.
	setsid java "${JAVA_ARGS[@]}" kafka.Kafka "$DIR/server.properties" >"$DIR/kafka.log" 2>&1 </dev/null &
	echo $! >"$DIR/kafka.pid"
	if ! wait_port "$PORT" "$!"; then
		tail -n 40 "$DIR/kafka.log" >&2
		die "broker did not open 127.0.0.1:$PORT (log: $DIR/kafka.log)"
	fi
	echo "127.0.0.1:$PORT"
	;;
stop)
	[ $# -ge 1 ] || die "usage: kafka.sh stop <dir>"
	pidfile="$1/kafka.pid"
	[ -f "$pidfile" ] || exit 0
	pid="$(cat "$pidfile")"
	kill -TERM -- "-$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$pidfile"
	;;
*)
	die "unknown command $cmd (fetch, run, start, stop)"
	;;
esac

// Package e2e is the real-parts end-to-end suite: Apache Kafka (KRaft),
// FerretDB on PostgreSQL, the bKash sandbox, kalyan-api and two
// kalyan-worker replicas, each in its own OS process, driven over HTTP.
//
// Its tests carry the build tag e2e: run them with `make e2e`
// (go test -tags e2e -count=1 -timeout 40m ./test/e2e/). The services are
// installed and started by hack/kafka.sh, hack/postgres.sh and
// hack/ferretdb.sh (cached under ${XDG_CACHE_HOME:-$HOME/.cache}/kalyan).
package e2e

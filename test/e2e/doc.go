// Package e2e is the real-parts end-to-end suite: Apache Kafka (KRaft),
// FerretDB on PostgreSQL, the bKash sandbox, kalyan-api, two kalyan-worker
// replicas and kalyan-operator against a real kube-apiserver and etcd, each
// in its own OS process (test/harness), driven over HTTP.
//
// Its tests carry the build tag e2e: run them with `make e2e`
// (go test -tags e2e -count=1 -timeout 40m ./test/e2e/). E2E_KILL_GIFTS
// sizes TestReceiptsUnderWorkerKills (default 1,000).
package e2e

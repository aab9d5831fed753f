// Package harness runs the whole system as separate OS processes for the
// real-parts suites (test/e2e, test/chaos): Apache Kafka (KRaft), FerretDB
// on PostgreSQL, the bKash sandbox, kalyan-api, kalyan-worker replicas and,
// on request, kalyan-operator against a real kube-apiserver and etcd.
//
// It also holds what those suites share beyond the processes: a load driver
// that gives gifts and files aid requests the way donors and staff do
// (retrying through outages with the same idempotency keys), a chaos driver
// that SIGKILLs workers and restarts Kafka and FerretDB, and a census that
// reads the store to count outcomes and check receipt serials.
//
// The services are installed and started by hack/kafka.sh,
// hack/postgres.sh and hack/ferretdb.sh (cached under
// ${XDG_CACHE_HOME:-$HOME/.cache}/kalyan).
package harness

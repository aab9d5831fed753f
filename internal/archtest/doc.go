// Package archtest holds the import rules of the service core (issue 16,
// docs/architecture.md): use cases and the domain depend on no adapter, and
// the Kafka adapter depends on no other adapter nor on the use cases. It has
// only tests.
package archtest

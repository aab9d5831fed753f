// Package lease decides whether this replica runs a loop that one replica
// at a time should run (the outbox relay, the reconciler). It is shared by
// the use cases and the bus adapter, so neither depends on the other.
package lease

import (
	"context"
	"log/slog"
)

// Lease elects one of the replicas running the same loop (a lease held in
// the store; see mongostore.Lease).
type Lease interface {
	Held(ctx context.Context) (bool, error)
}

// Held reports whether the replica holding l should run job now. No lease
// means every replica runs it; an unreadable lease counts as held: the jobs
// that take one are safe to run twice, not safe to skip.
func Held(ctx context.Context, l Lease, log *slog.Logger, job string) bool {
	if l == nil {
		return true
	}
	held, err := l.Held(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.WarnContext(ctx, "lease unreadable; running anyway", "job", job, "err", err)
		}
		return true
	}
	return held
}

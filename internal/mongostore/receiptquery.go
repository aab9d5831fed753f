package mongostore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Collections of notification bookkeeping and rate limits.
const (
	colNotifications = "notifications"
	colRateLimits    = "rate_limits"
	// colStatementPrints is the audit trail of counter statements.
	colStatementPrints = "statement_prints"
)

// ByDonor returns at most limit of a donor's receipts of one fiscal year
// across all units, earliest payment first. It is a filtered scan (FerretDB
// on SQLite cannot index the field), run only for annual statements, which
// are rate-limited and whose documents are kept (app.Statements).
func (r *Receipts) ByDonor(ctx context.Context, donorRef, fy string, limit int) ([]receipts.Receipt, error) {
	cur, err := r.s.col(colReceipts).Find(ctx, bson.D{{Key: "donorRef", Value: donorRef}, {Key: "fy", Value: fy}},
		options.Find().SetSort(bson.D{{Key: "paidAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find donor receipts: %w", err)
	}
	var docs []receiptDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("find donor receipts: %w", err)
	}
	out := make([]receipts.Receipt, len(docs))
	for i, d := range docs {
		out[i] = d.receipt()
	}
	return out, nil
}

// Notifications records which notifications were handled, keyed by their
// reference, so a redelivered event does not text the donor twice.
type Notifications struct{ s *Store }

// Notifications returns the notification log.
func (s *Store) Notifications() *Notifications { return &Notifications{s: s} }

type notificationDoc struct {
	Ref    string    `bson:"_id"`
	Status string    `bson:"status"`
	At     time.Time `bson:"at"`
}

// Done reports whether ref was recorded.
func (n *Notifications) Done(ctx context.Context, ref string) (bool, error) {
	var doc notificationDoc
	return findByID(ctx, n.s.col(colNotifications), ref, &doc)
}

// Record notes that ref was handled with status ("sent", "failed"); the
// first record wins.
func (n *Notifications) Record(ctx context.Context, ref, status string, at time.Time) error {
	_, err := n.s.col(colNotifications).InsertOne(ctx, notificationDoc{Ref: ref, Status: status, At: at})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("record notification: %w", err)
	}
	return nil
}

// RateLimits counts events per key and fixed time window with unique
// inserts ("<key>/<window>/<n>" for n = 1..limit): no read-modify-write,
// so concurrent requests cannot both take the last slot.
type RateLimits struct{ s *Store }

// RateLimits returns the rate limiter.
func (s *Store) RateLimits() *RateLimits { return &RateLimits{s: s} }

// Allow takes one of limit slots for key in the window containing now.
func (l *RateLimits) Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	w := now.UTC().Truncate(window)
	for n := 1; n <= limit; n++ {
		_, err := l.s.col(colRateLimits).InsertOne(ctx, bson.D{
			{Key: "_id", Value: fmt.Sprintf("%s/%d/%d", key, w.Unix(), n)},
			{Key: "expireAt", Value: w.Add(window)},
		})
		if err == nil {
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, fmt.Errorf("rate limit: %w", err)
		}
	}
	return false, nil
}

// Take takes one of limit slots for key, held until until ("<key>/<n>"):
// a budget that no window boundary refills (tries of a one-time code, and
// its single use with limit 1).
func (l *RateLimits) Take(ctx context.Context, key string, limit int, until time.Time) (bool, error) {
	for n := 1; n <= limit; n++ {
		err := insertOne(ctx, l.s.col(colRateLimits), bson.D{
			{Key: "_id", Value: fmt.Sprintf("%s/%d", key, n)},
			{Key: "expireAt", Value: until.UTC()},
		})
		if err == nil {
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, fmt.Errorf("take %s: %w", key, err)
		}
	}
	return false, nil
}

// Sweep deletes the slots of windows that ended before now. FerretDB has
// no TTL indexes, so the worker calls it periodically; deleting whole
// expired windows never races with Allow, which only writes current ones.
func (l *RateLimits) Sweep(ctx context.Context, now time.Time) (int64, error) {
	res, err := l.s.col(colRateLimits).DeleteMany(ctx, bson.D{{Key: "expireAt", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("sweep rate limits: %w", err)
	}
	return res.DeletedCount, nil
}

// RunSweeper sweeps expired rate-limit windows every interval until ctx ends.
func (l *RateLimits) RunSweeper(ctx context.Context, interval time.Duration, now func() time.Time, log *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n, err := l.Sweep(ctx, now()); err != nil {
				log.WarnContext(ctx, "rate-limit sweep failed; next tick retries", "err", err)
			} else if n > 0 {
				log.DebugContext(ctx, "rate-limit windows swept", "deleted", n)
			}
		}
	}
}

// StatementPrints is the audit trail of statements printed at counters:
// one insert per print, never updated.
type StatementPrints struct{ s *Store }

// StatementPrints returns the audit trail.
func (s *Store) StatementPrints() *StatementPrints { return &StatementPrints{s: s} }

type statementPrintDoc struct {
	ID         string    `bson:"_id"`
	At         time.Time `bson:"at"`
	Staff      string    `bson:"staff"`
	Role       string    `bson:"role"`
	Unit       string    `bson:"unit,omitempty"`
	Mobile     string    `bson:"mobile"` // masked
	FiscalYear string    `bson:"fiscalYear"`
	Rows       int       `bson:"rows"`
}

// Record stores one print.
func (p *StatementPrints) Record(ctx context.Context, r receipts.StatementPrint) error {
	err := insertOne(ctx, p.s.col(colStatementPrints), statementPrintDoc{ID: r.ID, At: r.At, Staff: r.Staff, Role: r.Role, Unit: r.Unit,
		Mobile: r.MobileMasked, FiscalYear: r.FiscalYear, Rows: r.Rows})
	if err != nil {
		return fmt.Errorf("record statement print: %w", err)
	}
	return nil
}

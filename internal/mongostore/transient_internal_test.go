package mongostore

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// TestTransient pins which store errors are retried: the embedded FerretDB's
// SQLite answers a colliding writer with SQLITE_BUSY ("database is locked
// (5)", seen failing TestConcurrentReceiptsAreGaplessAndUnique on a loaded CI
// machine) and a cancelled neighbour with "interrupted (9)"; neither wrote
// anything. A duplicate key or a validation error must never be retried.
func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{mongo.CommandError{Code: 1, Message: "sqlite3: database is locked (5)"}, true},
		{mongo.CommandError{Code: 1, Message: "interrupted (9)"}, true},
		{mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000, Message: "E11000 duplicate key error"}}}, false},
		{errors.New("validation failed"), false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestRetryStopsWithItsContext: a retried operation gives up as soon as its
// caller's context ends instead of sleeping out its back-off.
func TestRetryStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := retry(ctx, func() (int, error) {
		calls++
		if calls == 2 {
			cancel()
		}
		return 0, errors.New("database is locked (5)")
	})
	if err == nil || calls != 2 {
		t.Fatalf("retry after cancel: calls=%d err=%v, want 2 calls and the error", calls, err)
	}
	calls = 0
	_, _ = retry(context.Background(), func() (int, error) {
		calls++
		if calls < 3 {
			return 0, errors.New("sqlite3: database is locked (5)")
		}
		return 1, nil
	})
	if calls != 3 {
		t.Fatalf("SQLITE_BUSY retried %d times, want until it succeeds (3)", calls)
	}
}

package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
	_ "modernc.org/sqlite" // FerretDB's own SQLite driver, already linked in
)

// collections the platform reads by _id on hot paths.
var hotCollections = []string{"units", "donation_versions", "outbox", "ledger", "receipts", "receipt_index",
	"unit_keys", "unit_active_keys", "notifications", "rate_limits", "aid_versions", "links", "pfa_grants", "pfa_grants_received", "donor_years",
	"ledger_checkpoints", "report_facts", "report_checkpoints", "report_patients", "report_heads"}

// IndexFerretIDs works around FerretDB 1.24's SQLite backend: it pushes an
// _id filter down as `_ferretdb_sjson->'$._id' = ?` but builds its unique
// _id index on `_ferretdb_sjson->"_id"`, an expression SQLite does not
// match, so every lookup by _id scans the table. The same values under
// another spelling: this rebuilds that unique index, under the name
// FerretDB knows it by, on the exact pushed-down expression, so one index
// both enforces uniqueness and serves lookups. (An earlier version added a
// second, non-unique index instead; every insert then maintained both.)
func IndexFerretIDs(ctx context.Context, dir string, db *mongo.Database) error {
	for _, c := range hotCollections {
		if err := db.CreateCollection(ctx, c); err != nil && !isNamespaceExists(err) {
			return fmt.Errorf("create collection %s: %w", c, err)
		}
	}
	abs, err := filepath.Abs(filepath.Join(dir, db.Name()+".sqlite"))
	if err != nil {
		return err
	}
	sdb, err := sql.Open("sqlite", "file:"+abs+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open %s: %w", abs, err)
	}
	defer sdb.Close()
	rows, err := sdb.QueryContext(ctx, `SELECT table_name FROM "_ferretdb_collections"`)
	if err != nil {
		return fmt.Errorf("list ferretdb tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list ferretdb tables: %w", err)
	}
	for _, t := range tables {
		if err := reindexID(ctx, sdb, t); err != nil {
			return fmt.Errorf("index %s: %w", t, err)
		}
	}
	return nil
}

// idExpr is the expression FerretDB's SQLite backend filters _id by.
const idExpr = `_ferretdb_sjson->'$._id'`

// reindexID gives table t's unique _id index (FerretDB names it t__id_)
// the pushed-down expression and drops the extra lookup index an earlier
// version added, in one transaction so that uniqueness is never
// unenforced. A table already converted costs one read: start-ups after
// the first write nothing.
func reindexID(ctx context.Context, sdb *sql.DB, t string) error {
	idx := t + "__id_"
	var def string
	err := sdb.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, idx).Scan(&def)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil // not a collection with an _id index (FerretDB makes one for every collection)
	case err != nil:
		return err
	case strings.Contains(def, idExpr):
		return nil
	}
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, q := range []string{
		fmt.Sprintf(`DROP INDEX %q`, idx),
		fmt.Sprintf(`CREATE UNIQUE INDEX %q ON %q (%s)`, idx, t, idExpr),
		fmt.Sprintf(`DROP INDEX IF EXISTS %q`, t+"_kalyan_id_lookup"),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	if ok := asCommandError(err, &ce); ok {
		return ce.Code == 48 || ce.Name == "NamespaceExists"
	}
	return false
}

func asCommandError(err error, target *mongo.CommandError) bool {
	ce, ok := err.(mongo.CommandError)
	if ok {
		*target = ce
	}
	return ok
}

package devstack

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	"go.mongodb.org/mongo-driver/v2/mongo"
	_ "modernc.org/sqlite" // FerretDB's own SQLite driver, already linked in
)

// collections the platform reads by _id on hot paths.
var hotCollections = []string{"units", "donation_versions", "outbox", "ledger", "receipts", "receipt_index",
	"unit_keys", "unit_active_keys", "notifications", "rate_limits", "aid_versions", "links", "pfa_grants"}

// IndexFerretIDs works around FerretDB 1.24's SQLite backend: it pushes an
// _id filter down as `_ferretdb_sjson->'$._id' = ?` but builds its unique
// _id index on `_ferretdb_sjson->"_id"`, an expression SQLite does not
// match, so every lookup by _id scans the table. An index on the exact
// pushed-down expression turns those scans into index lookups. It only
// adds an index; FerretDB keeps enforcing uniqueness with its own.
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
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_kalyan_id_lookup", t)
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index %s: %w", t, err)
		}
	}
	return nil
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

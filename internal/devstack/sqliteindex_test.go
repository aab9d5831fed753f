package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestIndexFerretIDs runs the embedded FerretDB on a data directory laid
// out as an earlier version left it (FerretDB's own _id index plus the
// extra lookup index) and checks that after IndexFerretIDs one unique index
// on the pushed-down expression serves lookups and still refuses duplicate
// _ids, through restarts and repeated runs.
func TestIndexFerretIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, stop := connectFerret(t, dir, logger)
	col := db.Collection("donation_versions")
	if _, err := col.InsertMany(ctx, []any{bson.M{"_id": "a#1", "n": 1}, bson.M{"_id": "b#1", "n": 2}}); err != nil {
		t.Fatal(err)
	}
	sdb := openSQLite(t, dir)
	table := tableOf(t, sdb, "donation_versions")
	// The layout an earlier version left behind.
	if _, err := sdb.ExecContext(ctx, fmt.Sprintf(`CREATE INDEX %q ON %q (_ferretdb_sjson->'$._id')`, table+"_kalyan_id_lookup", table)); err != nil {
		t.Fatal(err)
	}
	if def := indexSQL(t, sdb, table+"__id_"); !strings.Contains(def, `->"_id"`) {
		t.Fatalf("FerretDB's own _id index is no longer what this works around: %s", def)
	}

	for run := 1; run <= 2; run++ {
		if err := IndexFerretIDs(ctx, dir, db); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		def := indexSQL(t, sdb, table+"__id_")
		if !strings.HasPrefix(def, "CREATE UNIQUE INDEX") || !strings.Contains(def, idExpr) {
			t.Fatalf("run %d: _id index is %s", run, def)
		}
		if def := indexSQL(t, sdb, table+"_kalyan_id_lookup"); def != "" {
			t.Fatalf("run %d: the extra lookup index is still there: %s", run, def)
		}
	}
	// FerretDB's pushed-down _id filter now finds its index.
	var plan strings.Builder
	rows, err := sdb.QueryContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE %s = ?`, table, idExpr), `"a#1"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "USING INDEX "+table+"__id_") {
		t.Fatalf("lookup by _id does not use the index:\n%s", plan.String())
	}

	checkIDs := func(when string) {
		t.Helper()
		var got bson.M
		if err := col.FindOne(ctx, bson.M{"_id": "b#1"}).Decode(&got); err != nil || got["n"] != int32(2) {
			t.Fatalf("%s: find by _id: %v %v", when, got, err)
		}
		if _, err := col.InsertOne(ctx, bson.M{"_id": "a#1", "n": 9}); !mongo.IsDuplicateKeyError(err) {
			t.Fatalf("%s: inserting a taken _id: want a duplicate key error, got %v", when, err)
		}
		// An unordered batch with a taken _id in the middle stores the others
		// and names only that one.
		fresh := strings.ReplaceAll(when, " ", "-")
		_, err := col.InsertMany(ctx, []any{bson.M{"_id": fresh + "#1"}, bson.M{"_id": "b#1"}, bson.M{"_id": fresh + "#2"}},
			options.InsertMany().SetOrdered(false))
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || len(bwe.WriteErrors) != 1 || bwe.WriteErrors[0].Index != 1 || !mongo.IsDuplicateKeyError(err) {
			t.Fatalf("%s: unordered batch with a taken _id: %v", when, err)
		}
		if n, err := col.CountDocuments(ctx, bson.M{"_id": bson.M{"$in": []string{fresh + "#1", fresh + "#2"}}}); err != nil || n != 2 {
			t.Fatalf("%s: the batch's other documents: %d stored, %v", when, n, err)
		}
	}
	checkIDs("after reindexing")

	// A restart keeps the index, and FerretDB still lists its _id_ index.
	stop()
	db, _ = connectFerret(t, dir, logger)
	col = db.Collection("donation_versions")
	if err := IndexFerretIDs(ctx, dir, db); err != nil {
		t.Fatal(err)
	}
	checkIDs("after a restart")
	specs, err := col.Indexes().ListSpecifications(ctx)
	if err != nil || len(specs) != 1 || specs[0].Name != "_id_" {
		t.Fatalf("indexes FerretDB reports: %v %v", specs, err)
	}
}

func connectFerret(t *testing.T, dir string, logger *slog.Logger) (*mongo.Database, func()) {
	t.Helper()
	f, err := StartFerret(dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(f.URI()))
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = client.Disconnect(context.Background())
			f.Close()
		}
	}
	t.Cleanup(stop)
	return client.Database("kalyan"), stop
}

func openSQLite(t *testing.T, dir string) *sql.DB {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kalyan.sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	return sdb
}

func tableOf(t *testing.T, sdb *sql.DB, collection string) string {
	t.Helper()
	var table string
	if err := sdb.QueryRow(`SELECT table_name FROM "_ferretdb_collections" WHERE name = ?`, collection).Scan(&table); err != nil {
		t.Fatal(err)
	}
	return table
}

// indexSQL is an index's definition, or "" if there is no such index.
func indexSQL(t *testing.T, sdb *sql.DB, name string) string {
	t.Helper()
	var def string
	err := sdb.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&def)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return def
}

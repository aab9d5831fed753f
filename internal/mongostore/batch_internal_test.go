package mongostore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestOrderedInsertManyStopsAtDuplicate checks what the block writers
// (ledger entries, receipt serials) rely on, against both FerretDB backends
// we run: an ordered insert of up to MaxInsertBatch documents that hits a
// duplicate key (on _id or on another unique index) at document k stores
// exactly the documents before k, none after, and reports k.
func TestOrderedInsertManyStopsAtDuplicate(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			db := ferretDB(t, backend)
			ctx := context.Background()
			// Each case in a collection of its own that already holds _id
			// "o/5" and source "s-taken".
			col := func(name string) *mongo.Collection {
				c := db.Collection(name)
				if _, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "source", Value: 1}},
					Options: options.Index().SetUnique(true)}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.InsertMany(ctx, []any{bson.M{"_id": "o/5", "source": "other"}, bson.M{"_id": "x", "source": "s-taken"}}); err != nil {
					t.Fatal(err)
				}
				return c
			}
			docs := func(from, to int, takenSource int) []any {
				var out []any
				for i := from; i < to; i++ {
					src := fmt.Sprintf("s-%d", i)
					if i == takenSource {
						src = "s-taken"
					}
					out = append(out, bson.M{"_id": fmt.Sprintf("o/%d", i), "source": src})
				}
				return out
			}
			// Duplicate _id at index 4 (o/5).
			c := col("dup_id")
			n, err := insertOrdered(ctx, c, docs(1, 10, -1))
			if n != 4 || !mongo.IsDuplicateKeyError(err) {
				t.Fatalf("duplicate _id: n=%d err=%v, want 4 and a duplicate key", n, err)
			}
			assertIDs(t, c, "o/1 o/2 o/3 o/4 o/5 x")
			// Duplicate source at index 2 (o/8), in a full batch of 100.
			c = col("dup_source")
			n, err = insertOrdered(ctx, c, docs(6, 6+MaxInsertBatch, 8))
			if n != 2 || !mongo.IsDuplicateKeyError(err) {
				t.Fatalf("duplicate source: n=%d err=%v, want 2 and a duplicate key", n, err)
			}
			assertIDs(t, c, "o/5 o/6 o/7 x")
			// Duplicate at the last document of a full batch.
			c = col("dup_last")
			n, err = insertOrdered(ctx, c, docs(6, 6+MaxInsertBatch, 5+MaxInsertBatch))
			if n != MaxInsertBatch-1 || !mongo.IsDuplicateKeyError(err) {
				t.Fatalf("duplicate last: n=%d err=%v, want %d", n, err, MaxInsertBatch-1)
			}
			if got := count(t, c); got != 2+MaxInsertBatch-1 {
				t.Fatalf("duplicate last: %d documents stored, want %d", got, 2+MaxInsertBatch-1)
			}
			// No duplicate: all of them.
			c = col("clean")
			if n, err := insertOrdered(ctx, c, docs(200, 200+MaxInsertBatch, -1)); n != MaxInsertBatch || err != nil {
				t.Fatalf("clean batch: n=%d err=%v", n, err)
			}
			// More than one FerretDB chunk is refused up front.
			if n, err := insertOrdered(ctx, c, docs(400, 401+MaxInsertBatch, -1)); n != -1 || err == nil {
				t.Fatalf("oversized batch: n=%d err=%v, want a refusal", n, err)
			}
			// Unordered: every duplicate reported, the rest stored.
			c = col("unordered")
			dups, err := insertUnordered(ctx, c, []any{bson.M{"_id": "u/1"}, bson.M{"_id": "o/5"}, bson.M{"_id": "u/2"}, bson.M{"_id": "x"}})
			if err != nil || len(dups) != 2 || !dups[1] || !dups[3] {
				t.Fatalf("unordered: %v %v", dups, err)
			}
			assertIDs(t, c, "o/5 u/1 u/2 x")
		})
	}
}

func count(t *testing.T, c *mongo.Collection) int64 {
	t.Helper()
	n, err := c.CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func assertIDs(t *testing.T, c *mongo.Collection, want string) {
	t.Helper()
	cur, err := c.Find(context.Background(), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, d.ID)
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("stored %v, want %s", got, want)
	}
}

// ferretDB serves a fresh database from an embedded FerretDB on backend:
// SQLite files in a temp dir, or a private PostgreSQL cluster started with
// hack/postgres.sh (as the end-to-end suite runs it).
func ferretDB(t *testing.T, backend string) *mongo.Database {
	t.Helper()
	dir, err := os.MkdirTemp("", "kalyan-ferret-"+backend+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handler:  backend,
	}
	switch backend {
	case "sqlite":
		cfg.SQLiteURL = "file:" + dir + "/"
	case "postgresql":
		cfg.PostgreSQLURL = startPostgres(t, dir)
	}
	f, err := ferretdb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	client, err := mongo.Connect(options.Client().ApplyURI(f.MongoDBURI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Disconnect(context.Background())
		cancel()
		<-done
	})
	return client.Database("kalyan")
}

func startPostgres(t *testing.T, dir string) string {
	t.Helper()
	script, err := filepath.Abs("../../hack/postgres.sh")
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL runs as its own user when we are root: it must reach dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	pg := filepath.Join(dir, "pg")
	out, err := exec.Command(script, "start", pg, port).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("start postgresql: %v\n%s", err, stderr)
	}
	t.Cleanup(func() { _ = exec.Command(script, "stop", pg).Run() })
	return strings.TrimSpace(string(out))
}

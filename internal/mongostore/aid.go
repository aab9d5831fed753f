package mongostore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/kalyan-platform/kalyan/internal/aid"
)

const colAid = "aid_versions"

// AidRequests stores aid requests as version chains, like donations: each
// change is an insert of "<id>#<n>" carrying its audit record and events,
// so concurrent approvals cannot both take effect and the chain is the
// request's history.
type AidRequests struct{ s *Store }

// AidRequests returns the aid request repository.
func (s *Store) AidRequests() *AidRequests { return &AidRequests{s: s} }

type aidVersion struct {
	DocID      string     `bson:"_id"`
	Request    requestDoc `bson:",inline"`
	Published  bool       `bson:"published"`
	Superseded bool       `bson:"superseded,omitempty"`
}

func aidVersionID(id string, v int) string { return id + "#" + strconv.Itoa(v) }

func newAidVersion(q *aid.Request) aidVersion {
	return aidVersion{DocID: aidVersionID(q.ID, q.Version), Request: toRequestDoc(q), Published: len(q.Outbox) == 0}
}

func (r *AidRequests) insert(ctx context.Context, q *aid.Request) error {
	doc := newAidVersion(q)
	if err := insertOne(ctx, r.s.col(colAid), doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return err
		}
		return fmt.Errorf("store aid request %s v%d: %w", q.ID, q.Version, err)
	}
	if len(q.Outbox) > 0 {
		return mark(ctx, r.s, outboxMarker{ID: doc.DocID, Unit: q.Unit, At: time.Now().UTC(), Col: colAid, Topic: aid.TopicAid})
	}
	return nil
}

// Create stores a new request (version 1); aid.ErrExists if its ID is taken.
func (r *AidRequests) Create(ctx context.Context, q *aid.Request) error {
	q.Version = 1
	err := r.insert(ctx, q)
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store aid request %s: %w", q.ID, aid.ErrExists)
	}
	return err
}

// Get returns the latest version.
func (r *AidRequests) Get(ctx context.Context, id string) (*aid.Request, error) {
	hist, err := r.History(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hist[len(hist)-1], nil
}

// History returns every version, oldest first: the audit trail.
func (r *AidRequests) History(ctx context.Context, id string) ([]aid.Request, error) {
	var out []aid.Request
	for v := 1; ; v++ {
		var doc aidVersion
		found, err := findByID(ctx, r.s.col(colAid), aidVersionID(id, v), &doc)
		if err != nil {
			return nil, err
		}
		if !found {
			break
		}
		out = append(out, doc.Request.request())
	}
	if len(out) == 0 {
		return nil, aid.ErrNotFound
	}
	return out, nil
}

// Update applies fn to the latest version and stores the next one;
// aid.ErrNoChange from fn stores nothing.
func (r *AidRequests) Update(ctx context.Context, id string, fn func(*aid.Request) error) (*aid.Request, error) {
	return r.UpdateFrom(ctx, id, nil, fn)
}

// UpdateFrom is Update starting from a version the caller just read (saves
// the re-read when nobody wrote in between; a conflict re-reads as usual).
func (r *AidRequests) UpdateFrom(ctx context.Context, id string, from *aid.Request, fn func(*aid.Request) error) (*aid.Request, error) {
	if from != nil {
		cp := *from
		cp.Items = append([]aid.Item(nil), from.Items...)
		cp.Allocations = append([]aid.Allocation(nil), from.Allocations...)
		from = &cp
	}
	return versionChain[aid.Request]{
		what: "aid request", attempts: 20, latest: r.Get,
		version:  func(q *aid.Request) *int { return &q.Version },
		fresh:    func(q *aid.Request) { q.Outbox = nil },
		noChange: aid.ErrNoChange,
		insert:   r.insert,
		superseded: func(ctx context.Context, id string, n int) {
			supersede(ctx, r.s.col(colAid), aidVersionID(id, n))
		},
	}.update(ctx, id, from, fn)
}

// List returns the latest versions matching f (scan: fine for a unit's
// working set; indexes on unit serve real MongoDB). The status is matched
// after picking each request's latest version: an older version still in
// that status (its "superseded" hint unwritten, as block allocation leaves
// it) must not make the request look like it still is.
func (r *AidRequests) List(ctx context.Context, f aid.Filter) ([]aid.Request, error) {
	filter := bson.D{{Key: "superseded", Value: bson.D{{Key: "$ne", Value: true}}}}
	if f.Unit != "" {
		filter = append(filter, bson.E{Key: "unit", Value: f.Unit})
	}
	if f.Patient != "" {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "patient.nid", Value: f.Patient}}, bson.D{{Key: "patient.mobile", Value: f.Patient}},
			bson.D{{Key: "patient.idKey", Value: f.Patient}}}})
	}
	if f.BirthDate != "" {
		filter = append(filter, bson.E{Key: "patient.birthDate", Value: f.BirthDate})
	}
	if !f.Since.IsZero() {
		filter = append(filter, bson.E{Key: "createdAt", Value: bson.D{{Key: "$gte", Value: f.Since}}})
	}
	cur, err := r.s.col(colAid).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("list aid requests: %w", err)
	}
	var docs []aidVersion
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list aid requests: %w", err)
	}
	// A lost "superseded" flag can leave an old version in the scan: keep
	// the highest version per request.
	return f.Page(f.Statuses(latestVersions(docs))), nil
}

// Versions reads the given versions by exact _id, concurrently (missing
// ones are nil). A caller that then writes version+1 learns from the
// unique _id whether the one it read was still the latest.
func (r *AidRequests) Versions(ctx context.Context, refs []aid.VersionRef) ([]*aid.Request, error) {
	out := make([]*aid.Request, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for i, ref := range refs {
		g.Go(func() error {
			var doc aidVersion
			found, err := findByID(gctx, r.s.col(colAid), aidVersionID(ref.ID, ref.Version), &doc)
			if err == nil && found {
				q := doc.Request.request()
				out[i] = &q
			}
			return err
		})
	}
	return out, g.Wait()
}

// InsertNext stores each of qs as its request's next version (q.Version is
// the new number) in one unordered insert and returns which were refused
// because that version exists (someone else changed the request first: the
// caller re-reads those). Versions with events get their outbox markers.
// The versions they supersede are not flagged: on FerretDB each flag is an
// update (a read and a write, more than the rest of an allocation), and
// List does not depend on the hint.
func (r *AidRequests) InsertNext(ctx context.Context, qs []*aid.Request) (map[int]bool, error) {
	refused := map[int]bool{}
	for lo := 0; lo < len(qs); lo += MaxInsertBatch {
		part := qs[lo:min(lo+MaxInsertBatch, len(qs))]
		docs := make([]any, len(part))
		for i, q := range part {
			docs[i] = newAidVersion(q)
		}
		dups, err := insertUnordered(ctx, r.s.col(colAid), docs)
		if err != nil {
			return nil, fmt.Errorf("store aid request versions: %w", err)
		}
		for i := range dups {
			refused[lo+i] = true
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for i, q := range qs {
		if refused[i] {
			continue
		}
		if len(q.Outbox) == 0 {
			continue
		}
		g.Go(func() error {
			return mark(gctx, r.s, outboxMarker{ID: aidVersionID(q.ID, q.Version), Unit: q.Unit, At: time.Now().UTC(), Col: colAid, Topic: aid.TopicAid})
		})
	}
	return refused, g.Wait()
}

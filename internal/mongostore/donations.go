package mongostore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
)

// Donations stores each donation as an append-only chain of versions
// ("<id>#1", "<id>#2", …). Writing version n+1 is an insert, so of two
// concurrent writers that both read version n exactly one succeeds and the
// other re-reads and re-applies its change: optimistic concurrency that
// FerretDB's lossy updates cannot break. Each version carries the events its
// change caused (the outbox), written atomically with the state.
type Donations struct {
	s          *Store
	maxRetries int
	// creates batches concurrent first-version inserts (group commit).
	creates *groupInsert
}

// Donations returns the donation repository. Creates through one repository
// share batches, so a process should use one for its intake.
func (s *Store) Donations() *Donations {
	return &Donations{s: s, maxRetries: 20, creates: newGroupInsert(s.col(colDonations))}
}

type donationVersion struct {
	DocID     string      `bson:"_id"`
	Donation  donationDoc `bson:",inline"`
	Published bool        `bson:"published"`
	// Superseded is set once a newer version exists, and RefundOpen marks a
	// version with a refund awaiting bKash: the reconciler's scans filter on
	// top-level scalars, which FerretDB hands to PostgreSQL. A path into an
	// array ("refunds.status") it cannot: that read and decoded every version.
	Superseded bool `bson:"superseded,omitempty"`
	RefundOpen bool `bson:"refundOpen,omitempty"`
}

// outboxMarker points the relay at a version with unpublished events. The
// marker collection stays small (the relay deletes what it has published),
// so scanning it is cheap where scanning the version log would not be.
type outboxMarker struct {
	ID   string    `bson:"_id"`
	Unit string    `bson:"unit"`
	At   time.Time `bson:"at"`
	// Col is the collection of the version (donations when empty).
	Col string `bson:"col,omitempty"`
	// Topic the events go to (donations when empty).
	Topic string `bson:"topic,omitempty"`
}

func versionID(id string, v int) string { return id + "#" + strconv.Itoa(v) }

// Create implements donations.Repository. Concurrent creates are written
// together (see groupInsert); each returns once its own version is stored.
func (r *Donations) Create(ctx context.Context, d *donations.Donation) (*donations.Donation, bool, error) {
	d.Version = 1
	doc := r.versionDoc(d)
	err := r.creates.insert(ctx, &doc)
	if mongo.IsDuplicateKeyError(err) {
		existing, gerr := r.Get(ctx, d.ID)
		if gerr != nil {
			return nil, false, gerr
		}
		// A retried write that had gone through reports a duplicate of
		// itself: the bKash payment, new for every attempt, tells them apart.
		ours := d.PaymentID != "" && existing.PaymentID == d.PaymentID
		return existing, ours, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store donation %s v1: %w", d.ID, err)
	}
	return d, true, r.markIfEvents(ctx, d, doc.DocID)
}

func (r *Donations) versionDoc(d *donations.Donation) donationVersion {
	v := donationVersion{DocID: versionID(d.ID, d.Version), Donation: toDonationDoc(d), Published: len(d.Outbox) == 0}
	for _, f := range d.Refunds {
		v.RefundOpen = v.RefundOpen || f.Open()
	}
	return v
}

func (r *Donations) insertVersion(ctx context.Context, d *donations.Donation) error {
	doc := r.versionDoc(d)
	if err := insertOne(ctx, r.s.col(colDonations), doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return err
		}
		return fmt.Errorf("store donation %s v%d: %w", d.ID, d.Version, err)
	}
	return r.markIfEvents(ctx, d, doc.DocID)
}

// markIfEvents points the relay at a stored version with events. If we crash
// before this insert, the relay's sweep finds the unpublished version and
// writes the marker itself.
func (r *Donations) markIfEvents(ctx context.Context, d *donations.Donation, docID string) error {
	if len(d.Outbox) == 0 {
		return nil
	}
	return r.mark(ctx, docID, d.Unit)
}

func (r *Donations) mark(ctx context.Context, docID, unit string) error {
	return mark(ctx, r.s, outboxMarker{ID: docID, Unit: unit, At: time.Now().UTC()})
}

func mark(ctx context.Context, s *Store, m outboxMarker) error {
	err := insertOne(ctx, s.col(colOutbox), m)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mark outbox %s: %w", m.ID, err)
	}
	return nil
}

// Get implements donations.Repository: it walks the version chain by _id.
func (r *Donations) Get(ctx context.Context, id string) (*donations.Donation, error) {
	var latest *donationVersion
	for v := 1; ; v++ {
		var doc donationVersion
		found, err := findByID(ctx, r.s.col(colDonations), versionID(id, v), &doc)
		if err != nil {
			return nil, err
		}
		if !found {
			break
		}
		latest = &doc
	}
	if latest == nil {
		return nil, donations.ErrNotFound
	}
	d := latest.Donation.donation()
	return &d, nil
}

// Update implements donations.Repository.
func (r *Donations) Update(ctx context.Context, id string, fn func(*donations.Donation) error) (*donations.Donation, error) {
	return versionChain[donations.Donation]{
		what: "donation", attempts: r.maxRetries, latest: r.Get,
		version:  func(d *donations.Donation) *int { return &d.Version },
		fresh:    func(d *donations.Donation) { d.Outbox = nil },
		noChange: donations.ErrNoChange,
		insert:   r.insertVersion,
		superseded: func(ctx context.Context, id string, n int) {
			r.supersede(ctx, versionID(id, n))
		},
	}.update(ctx, id, nil, fn)
}

// PendingEvents returns up to limit versions awaiting publication, oldest first.
func (r *Donations) PendingEvents(ctx context.Context, limit int) ([]events.Pending, error) {
	cur, err := r.s.col(colOutbox).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	var marks []outboxMarker
	if err := cur.All(ctx, &marks); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	// Point reads, several at a time (see parallelIO).
	found := make([]*events.Pending, len(marks))
	err = eachParallel(ctx, len(marks), func(gctx context.Context, i int) error {
		m := marks[i]
		if m.Col == "" {
			m.Col = colDonations
		}
		var doc struct {
			Outbox    []envelopeDoc `bson:"outbox"`
			Published bool          `bson:"published"`
		}
		ok, err := findByID(gctx, r.s.col(m.Col), m.ID, &doc)
		if err != nil {
			return err
		}
		if !ok || doc.Published {
			// Stale marker (already published by another relay).
			if _, err := r.s.col(colOutbox).DeleteOne(gctx, bson.D{{Key: "_id", Value: m.ID}}); err != nil {
				return fmt.Errorf("drop stale outbox marker: %w", err)
			}
			return nil
		}
		found[i] = &events.Pending{DocID: m.ID, Col: m.Col, Topic: m.Topic, Unit: m.Unit, Events: fromEnvelopes(doc.Outbox)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]events.Pending, 0, len(marks))
	for _, p := range found {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// MarkPublished records that the versions' events reached Kafka. Losing this
// write only means publishing again; consumers dedupe by event ID. Each
// write is by _id, several at a time: an "$in" would read the whole outbox.
func (r *Donations) MarkPublished(ctx context.Context, published []events.Pending) error {
	return eachParallel(ctx, len(published), func(ctx context.Context, i int) error {
		p := published[i]
		col := p.Col
		if col == "" {
			col = colDonations
		}
		if _, err := r.s.col(col).UpdateOne(ctx, bson.D{{Key: "_id", Value: p.DocID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "published", Value: true}}}}); err != nil {
			return fmt.Errorf("mark published %s: %w", p.DocID, err)
		}
		if _, err := r.s.col(colOutbox).DeleteOne(ctx, bson.D{{Key: "_id", Value: p.DocID}}); err != nil {
			return fmt.Errorf("clear outbox %s: %w", p.DocID, err)
		}
		return nil
	})
}

// Sweep re-marks unpublished versions whose marker was never written (a
// crash between the two inserts). It scans the whole log, so it runs rarely.
// Versions that still have their marker are skipped: under a backlog nearly
// every unpublished version has one, and re-inserting each (one refused
// insert per version) kept a freshly started relay from relaying for
// minutes, for ever when workers restart more often than that.
func (r *Donations) Sweep(ctx context.Context) (int, error) {
	marked := map[string]bool{}
	cur, err := r.s.col(colOutbox).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("sweep outbox: %w", err)
	}
	var marks []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &marks); err != nil {
		return 0, fmt.Errorf("sweep outbox: %w", err)
	}
	for _, m := range marks {
		marked[m.ID] = true
	}
	n := 0
	for _, src := range []struct{ col, topic string }{{colDonations, ""}, {colAid, aid.TopicAid}} {
		cur, err := r.s.col(src.col).Find(ctx, bson.D{{Key: "published", Value: false}}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "unit", Value: 1}}))
		if err != nil {
			return n, fmt.Errorf("sweep outbox: %w", err)
		}
		var docs []struct {
			ID   string `bson:"_id"`
			Unit string `bson:"unit"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			return n, fmt.Errorf("sweep outbox: %w", err)
		}
		for _, d := range docs {
			if marked[d.ID] {
				continue
			}
			m := outboxMarker{ID: d.ID, Unit: d.Unit, At: time.Now().UTC()}
			if src.col != colDonations {
				m.Col, m.Topic = src.col, src.topic
			}
			if err := mark(ctx, r.s, m); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// supersede flags an older version so scans for "donations in state X"
// skip it. It is a hint only: if the write is lost (FerretDB may drop it when
// the relay updates the same document), a scan re-reads the donation and
// finds its latest version anyway.
func (r *Donations) supersede(ctx context.Context, docID string) {
	supersede(ctx, r.s.col(colDonations), docID)
}

func supersede(ctx context.Context, c *mongo.Collection, docID string) {
	_, _ = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: docID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "superseded", Value: true}}}})
}

// Initiated returns IDs of donations whose latest known version is
// initiated and older than before (reconciliation candidates). Callers must
// re-read each: the list may include donations that moved on since.
func (r *Donations) Initiated(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return r.scanIDs(ctx, bson.D{{Key: "status", Value: "initiated"}, {Key: "superseded", Value: bson.D{{Key: "$ne", Value: true}}}, {Key: "createdAt", Value: bson.D{{Key: "$lt", Value: before}}}}, limit)
}

// WithPendingRefunds returns IDs of donations with a refund still awaiting
// bKash's answer.
func (r *Donations) WithPendingRefunds(ctx context.Context, limit int) ([]string, error) {
	return r.scanIDs(ctx, bson.D{{Key: "refundOpen", Value: true}, {Key: "superseded", Value: bson.D{{Key: "$ne", Value: true}}}}, limit)
}

func (r *Donations) scanIDs(ctx context.Context, filter bson.D, limit int) ([]string, error) {
	cur, err := r.s.col(colDonations).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "donation", Value: 1}, {Key: "version", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("scan donations: %w", err)
	}
	var docs []struct {
		Donation string `bson:"donation"`
		Version  int    `bson:"version"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("scan donations: %w", err)
	}
	seen := map[string]bool{}
	latest := docs[:0]
	for _, d := range docs {
		if !seen[d.Donation] {
			seen[d.Donation] = true
			latest = append(latest, d)
		}
	}
	// A version whose "superseded" write was lost would come back on every
	// pass (and fill the limit): one look for its successor finds it out
	// and writes the flag again. The look-ups run several at a time: the
	// reconciler reads thousands of candidates when many payments are open.
	moved := make([]bool, len(latest))
	err = eachParallel(ctx, len(latest), func(gctx context.Context, i int) error {
		d := latest[i]
		var next struct {
			ID string `bson:"_id"`
		}
		found, err := findByID(gctx, r.s.col(colDonations), versionID(d.Donation, d.Version+1), &next)
		if err != nil {
			return err
		}
		if found {
			moved[i] = true
			r.supersede(gctx, versionID(d.Donation, d.Version))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(latest))
	for i, d := range latest {
		if !moved[i] {
			ids = append(ids, d.Donation)
		}
	}
	return ids, nil
}

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
)

// ensureAidWindowIndexes indexes what a patient received by NID and by
// mobile with the approval time: the threshold check of every approval
// reads them across all units.
func (s *Store) ensureAidWindowIndexes(ctx context.Context) error {
	if err := createIndexes(ctx, s.col(colAid), "aid window",
		mongo.IndexModel{Keys: bson.D{{Key: "patient.nid", Value: 1}, {Key: "approvedAt", Value: 1}}, Options: options.Index().SetName("nid_approved")},
		mongo.IndexModel{Keys: bson.D{{Key: "patient.idKey", Value: 1}, {Key: "approvedAt", Value: 1}}, Options: options.Index().SetName("idkey_approved")},
		mongo.IndexModel{Keys: bson.D{{Key: "patient.mobile", Value: 1}, {Key: "approvedAt", Value: 1}}, Options: options.Index().SetName("mobile_approved")},
	); err != nil {
		return err
	}
	_, err := s.col(colAidWindow).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "key", Value: 1}}, Options: options.Index().SetName("key")})
	if err != nil {
		return fmt.Errorf("create aid window entry index: %w", err)
	}
	return nil
}

// colAidWindow holds the patients' window entries (aid.WindowEntry), one
// document per (key, seq): its _id "<key>#<seq>" is the unique guard.
const colAidWindow = "aid_window"

type windowDoc struct {
	DocID string         `bson:"_id"`
	Entry windowEntryDoc `bson:",inline"`
}

// WindowEntries returns every window entry of these keys.
func (r *AidRequests) WindowEntries(ctx context.Context, keys []string) ([]aid.WindowEntry, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cur, err := r.s.col(colAidWindow).Find(ctx, bson.D{{Key: "key", Value: bson.D{{Key: "$in", Value: keys}}}})
	if err != nil {
		return nil, fmt.Errorf("list window entries: %w", err)
	}
	var docs []windowDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list window entries: %w", err)
	}
	out := make([]aid.WindowEntry, len(docs))
	for i, d := range docs {
		out[i] = aid.WindowEntry(d.Entry)
	}
	return out, nil
}

// TakeWindow inserts the entries in order; aid.ErrWindowMoved when a slot
// is taken already (the entries inserted before it stay: they count as
// the request's approval in flight).
func (r *AidRequests) TakeWindow(ctx context.Context, entries []aid.WindowEntry) error {
	for _, e := range entries {
		e.At = e.At.UTC()
		err := insertOne(ctx, r.s.col(colAidWindow), windowDoc{DocID: e.Key + "#" + strconv.Itoa(e.Seq), Entry: windowEntryDoc(e)})
		if mongo.IsDuplicateKeyError(err) {
			return aid.ErrWindowMoved
		}
		if err != nil {
			return fmt.Errorf("take window slot: %w", err)
		}
	}
	return nil
}

// ApprovedSince returns the latest version of every request approved since
// since whose patient has this identity key (any form of the same NID, ADR
// 0010), this NID as written (requests filed before identity keys) or this
// mobile, in any unit. It is a
// plain indexed find (an equality and a range per $or branch, no
// aggregation), which FerretDB serves as MongoDB does; versions after the
// approval carry approvedAt too, so the highest one per request is kept.
func (r *AidRequests) ApprovedSince(ctx context.Context, idKey, nid, mobile string, since time.Time) ([]aid.Request, error) {
	var or bson.A
	after := bson.D{{Key: "$gte", Value: since.UTC()}}
	if idKey != "" {
		or = append(or, bson.D{{Key: "patient.idKey", Value: idKey}, {Key: "approvedAt", Value: after}})
	}
	if nid != "" {
		or = append(or, bson.D{{Key: "patient.nid", Value: nid}, {Key: "approvedAt", Value: after}})
	}
	if mobile != "" {
		or = append(or, bson.D{{Key: "patient.mobile", Value: mobile}, {Key: "approvedAt", Value: after}})
	}
	if len(or) == 0 {
		return nil, nil
	}
	cur, err := r.s.col(colAid).Find(ctx, bson.D{{Key: "$or", Value: or}})
	if err != nil {
		return nil, fmt.Errorf("list approved aid of a patient: %w", err)
	}
	var docs []aidVersion
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list approved aid of a patient: %w", err)
	}
	return latestVersions(docs), nil
}

// latestVersions keeps the highest version of each request in docs, in the
// order the requests first appear.
func latestVersions(docs []aidVersion) []aid.Request {
	at := map[string]int{}
	var out []aid.Request
	for _, d := range docs {
		if i, ok := at[d.Request.ID]; ok {
			if d.Request.Version > out[i].Version {
				out[i] = d.Request.request()
			}
			continue
		}
		at[d.Request.ID] = len(out)
		out = append(out, d.Request.request())
	}
	return out
}

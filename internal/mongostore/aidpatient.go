package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/aid"
)

// PatientRequests returns the latest versions of at most limit requests,
// newest first, whose patient has this identity key, NID as written or
// mobile, in any unit. The $or branches lead the window's indexes
// (patient.idKey/nid/mobile), and the read is capped: versions whose
// "superseded" hint was never written (block allocation) are read too, so
// the cap leaves room for them, and ties sort the higher version first so
// a cut never keeps an older version in place of the latest.
func (r *AidRequests) PatientRequests(ctx context.Context, idKey, nid, mobile string, limit int) ([]aid.Request, error) {
	var or bson.A
	for _, k := range []struct{ field, v string }{{"patient.idKey", idKey}, {"patient.nid", nid}, {"patient.mobile", mobile}} {
		if k.v != "" {
			or = append(or, bson.D{{Key: k.field, Value: k.v}})
		}
	}
	if len(or) == 0 || limit <= 0 {
		return nil, nil
	}
	filter := bson.D{{Key: "$or", Value: or}, {Key: "superseded", Value: bson.D{{Key: "$ne", Value: true}}}}
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "request", Value: 1}, {Key: "version", Value: -1}}).
		SetLimit(int64(limit) * 4)
	cur, err := r.s.col(colAid).Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list a patient's aid requests: %w", err)
	}
	var docs []aidVersion
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list a patient's aid requests: %w", err)
	}
	out := latestVersions(docs)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/donations"
)

// ensureTrxIndex indexes donation versions by bKash trxID: a claimed gift
// made in the bKash app is checked against the gifts already paid with
// the same trxID through a donation link.
func (s *Store) ensureTrxIndex(ctx context.Context) error {
	_, err := s.db.Collection(colDonations).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "trxID", Value: 1}},
		Options: options.Index().SetName("trx"),
	})
	if err != nil {
		return fmt.Errorf("create donation trxID index: %w", err)
	}
	return nil
}

// PaidWithTrxID implements app.TrxLookup.
func (r *Donations) PaidWithTrxID(ctx context.Context, trxID string) (string, bool, error) {
	var doc struct {
		ID string `bson:"donation"`
	}
	err := r.s.col(colDonations).FindOne(ctx, bson.D{{Key: "trxID", Value: trxID}, {Key: "status", Value: string(donations.Paid)}},
		options.FindOne().SetProjection(bson.D{{Key: "donation", Value: 1}})).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find donation by trxID: %w", err)
	}
	return doc.ID, true, nil
}

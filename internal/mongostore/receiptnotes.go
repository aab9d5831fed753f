package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// colReceiptNotes holds cancellation notes keyed by the refund event's ID:
// the insert itself makes redelivery harmless. Receipts are never touched.
const colReceiptNotes = "receipt_notes"

// ReceiptNotes stores cancellation notes.
type ReceiptNotes struct{ s *Store }

// ReceiptNotes returns the cancellation note repository.
func (s *Store) ReceiptNotes() *ReceiptNotes { return &ReceiptNotes{s: s} }

func (s *Store) ensureNoteIndexes(ctx context.Context) error {
	_, err := s.db.Collection(colReceiptNotes).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "donation", Value: 1}, {Key: "refund", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("donation_refund_unique"),
	})
	if err != nil {
		return fmt.Errorf("create receipt note index: %w", err)
	}
	return nil
}

// InsertNote implements receipts.NoteRepository.
func (r *ReceiptNotes) InsertNote(ctx context.Context, n *receipts.Note) error {
	err := insertOne(ctx, r.s.col(colReceiptNotes), noteDoc(*n))
	if mongo.IsDuplicateKeyError(err) {
		return receipts.ErrNoteExists
	}
	if err != nil {
		return fmt.Errorf("insert cancellation note %s: %w", n.ID, err)
	}
	return nil
}

// NoteByID implements receipts.NoteRepository.
func (r *ReceiptNotes) NoteByID(ctx context.Context, id string) (*receipts.Note, error) {
	var d noteDoc
	found, err := findByID(ctx, r.s.col(colReceiptNotes), id, &d)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, receipts.ErrNotFound
	}
	n := receipts.Note(d)
	return &n, nil
}

// GetNote implements receipts.NoteRepository.
func (r *ReceiptNotes) GetNote(ctx context.Context, donation, refund string) (*receipts.Note, error) {
	var d noteDoc
	err := r.s.col(colReceiptNotes).FindOne(ctx, bson.D{{Key: "donation", Value: donation}, {Key: "refund", Value: refund}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, receipts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find cancellation note %s/%s: %w", donation, refund, err)
	}
	n := receipts.Note(d)
	return &n, nil
}

// ListNotes implements receipts.NoteRepository.
func (r *ReceiptNotes) ListNotes(ctx context.Context, donation string) ([]receipts.Note, error) {
	cur, err := r.s.col(colReceiptNotes).Find(ctx, bson.D{{Key: "donation", Value: donation}},
		options.Find().SetSort(bson.D{{Key: "issuedAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list cancellation notes of %s: %w", donation, err)
	}
	var docs []noteDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list cancellation notes of %s: %w", donation, err)
	}
	return mapSlice(docs, func(d noteDoc) receipts.Note { return receipts.Note(d) }), nil
}

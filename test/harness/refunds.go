package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RefundAnswer is what the API answered a refund request: its HTTP status
// (201 settled, 202 pending at bKash, 409 another refund of the gift in
// progress, 422 refused — more than is left, or the fund no longer holds
// it), and the refund's ID and status when there is one.
type RefundAnswer struct {
	Code           int
	ID, Status     string
	DonationStatus string
}

// Refund asks for a refund of amount of gift id as the unit's admin, with
// key as its Idempotency-Key, retrying through outages with the same key as
// the console does.
func (s *System) Refund(ctx context.Context, unit, id, amount, key, reason string) (RefundAnswer, error) {
	hdr, err := s.staff(ctx, "unit_admin", unit)
	if err != nil {
		return RefundAnswer{}, err
	}
	hdr["Idempotency-Key"] = key
	r, err := s.Persist(ctx, "POST", "/api/v1/donations/"+url.PathEscape(id)+"/refunds",
		map[string]any{"amount": amount, "reason": reason}, hdr, 201, 202, 409, 422)
	if err != nil {
		return RefundAnswer{Code: r.Status}, fmt.Errorf("refund %s of %s: %w", amount, id, err)
	}
	out := RefundAnswer{Code: r.Status}
	var body struct {
		Refund struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"refund"`
		Donation struct {
			Status string `json:"status"`
		} `json:"donation"`
	}
	if r.Status == 201 || r.Status == 202 {
		if err := json.Unmarshal(r.Body, &body); err != nil || body.Refund.ID == "" {
			return out, fmt.Errorf("refund %s of %s: answer %.300s", amount, id, r.Body)
		}
		out.ID, out.Status, out.DonationStatus = body.Refund.ID, body.Refund.Status, body.Donation.Status
	}
	return out, nil
}

// Donation reads a gift's public status and amount.
func (s *System) Donation(ctx context.Context, id string) (status, amount, method string, err error) {
	r, err := s.Persist(ctx, "GET", "/api/v1/donations/"+url.PathEscape(id), nil, nil, 200)
	if err != nil {
		return "", "", "", err
	}
	var d struct {
		Status, Amount, Method string
	}
	if err := json.Unmarshal(r.Body, &d); err != nil {
		return "", "", "", fmt.Errorf("donation %s: %w", id, err)
	}
	return d.Status, d.Amount, d.Method, nil
}

// WaitPaid waits until gift id is no longer initiated, polling with backoff,
// and reports whether it was paid (receipted or refunded counts).
func (s *System) WaitPaid(ctx context.Context, id string) (bool, error) {
	delay := 200 * time.Millisecond
	for {
		st, _, _, err := s.Donation(ctx, id)
		if err != nil {
			return false, err
		}
		switch st {
		case "paid", "receipted", "refunded", "partially_refunded":
			return true, nil
		case "initiated":
		default:
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// SetPaymentFaults sets one payment's fault switches at the sandbox, e.g.
// {"refund":"timeout"} (bKash makes the refund and its answer is lost).
func (s *System) SetPaymentFaults(ctx context.Context, paymentID string, faults map[string]string) error {
	_, err := s.Persist(ctx, "PUT", s.SandboxURL()+"/sandbox/payments/"+url.PathEscape(paymentID)+"/faults", faults, nil, 200)
	return err
}

// PaymentID reads the bKash payment ID of gift id from the store (the
// public API does not show it), retrying through a FerretDB restart; "" for
// a gift with none.
func (s *System) PaymentID(ctx context.Context, id string) (string, error) {
	var pid string
	err := retry(ctx, func() error {
		cl, err := mongo.Connect(options.Client().ApplyURI(s.MongoURI()))
		if err != nil {
			return err
		}
		defer cl.Disconnect(context.WithoutCancel(ctx))
		var d struct {
			PaymentID string `bson:"paymentID"`
		}
		err = cl.Database(Database).Collection("donation_versions").FindOne(ctx, bson.D{{Key: "donation", Value: id}},
			options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}}).SetProjection(bson.D{{Key: "paymentID", Value: 1}})).Decode(&d)
		if err != nil {
			return err
		}
		pid = d.PaymentID // "" for a gift given at the counter
		return nil
	})
	return pid, err
}

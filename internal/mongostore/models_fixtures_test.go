package mongostore

import (
	"encoding/json"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Fixtures of the stored models: the "full" ones set every field (a test
// checks it, so a field added to a domain type must be added here, and then
// to its storage model), the "minimal" ones leave every optional field
// zero, to pin what omitempty and omitzero leave out.

// at returns a fixed instant in UTC with millisecond precision (what BSON
// keeps), min minutes after the first.
func at(min int) time.Time {
	return time.Date(2026, 7, 1, 10, 30, 0, 123_000_000, time.UTC).Add(time.Duration(min) * time.Minute)
}

func fixtureEnvelope(id string) events.Envelope {
	return events.Envelope{ID: id, Type: events.DonationPaid, Unit: "dmch", OccurredAt: at(3), Version: 1,
		Payload: json.RawMessage(`{"donation":"don_1","amount":50000}`)}
}

func fixtureUnitFull() units.Unit {
	return units.Unit{
		Code:     "dmch",
		Names:    units.Names{EN: "Dhaka Medical College Hospital", BN: "ঢাকা মেডিকেল কলেজ হাসপাতাল"},
		Level:    units.Level("medical_college"),
		Division: "dhaka", District: "dhaka", Upazila: "ramna",
		Policy: units.Policy{
			ApprovalThreshold: money.Taka(10_000), Programmes: []string{"cancer", "thalassaemia"},
			AllocationOrder: []string{"zakat", "sadaqah", "general"}, MinDonation: money.Taka(10), MaxDonation: money.Taka(5_00_000),
			Checkers: []string{"sw-2"}, WindowDays: 90, CommitteeQuorum: 2, CommitteeSize: 5,
		},
		Status:    units.Status("active"),
		CreatedAt: at(0), UpdatedAt: at(1),
		Merchant: &units.MerchantRef{ID: "01770618575", Rev: 1_782_000_000_000_000_000},
		Contact:  &units.Contact{Office: "Social service office, ground floor", Phone: "+880 2-55165088", Email: "rss@dmch.example"},
	}
}

func fixtureUnitMinimal() units.Unit {
	return units.Unit{Code: "uhc-debidwar", Names: units.Names{EN: "Debidwar", BN: "দেবিদ্বার"}, Level: units.Level("upazila"),
		Division: "chattogram", District: "cumilla", Policy: units.Policy{}, Status: units.Status("active"), CreatedAt: at(0), UpdatedAt: at(0)}
}

func fixtureDonationFull() donations.Donation {
	return donations.Donation{
		ID: "don_1", Unit: "dmch", Amount: money.Taka(500), Kind: donations.Kind("zakat"), Programme: "cancer", Link: "eid-zakat",
		Donor:     donations.Donor{Name: "Rahima", Phone: "01712345678", Email: "r@example.org", TIN: "123456789012"},
		Anonymous: true, Method: donations.Method("bkash"), CollectedBy: "sw-1", CollectedByName: "Selina Akter",
		Status: donations.Status("paid"), PaymentID: "TR0011abc", PaymentURL: "https://sandbox/redirect?paymentID=TR0011abc",
		TrxID: "BFT0A1B2C3", FailureReason: "cancelled by the payer",
		RequestHash: "hash-1", CreatedAt: at(0), UpdatedAt: at(2), PaidAt: at(1),
		Merchant: "01770618575",
		Refunds: []donations.Refund{{ID: "rf_1", Amount: money.Taka(100), Reason: "duplicate", Status: "completed", By: "ua-1",
			RefundTrxID: "RTX1", Failure: "none", RequestedAt: at(4), CompletedAt: at(5), Held: true, SentAt: at(4)}},
		Version: 3,
		Outbox:  []events.Envelope{fixtureEnvelope("don_1/paid")},
	}
}

func fixtureDonationMinimal() donations.Donation {
	return donations.Donation{ID: "don_2", Unit: "dmch", Amount: money.Taka(10), Kind: donations.Kind("general"),
		Donor: donations.Donor{Phone: "01712345678"}, Method: donations.Method("bkash"), Status: donations.Status("initiated"),
		RequestHash: "hash-2", CreatedAt: at(0), UpdatedAt: at(0), Version: 1,
		Refunds: []donations.Refund{{ID: "rf_2", Amount: money.Taka(10), Reason: "asked", Status: "requested", By: "ua-1", RequestedAt: at(1)}}}
}

func fixtureAidFull() aid.Request {
	return aid.Request{
		ID: "aid_1", Unit: "dmch",
		Patient: aid.Patient{Name: "Karim", Age: 42, Sex: "m", Guardian: "Rahim", Mobile: "01812345678", NID: "1234567890",
			District: "dhaka", Upazila: "savar", HospitalReg: "REG-7", Ward: "5", Bed: "12", BirthDate: "1984-02-01", IDKey: "nid:1234567890"},
		Diagnosis: "thalassaemia",
		Items: []aid.Item{{Category: "medicine", Description: "deferasirox", Estimated: money.Taka(9_000), Approved: money.Taka(8_000),
			Disbursed: money.Taka(4_000), Grant: true}},
		Urgency: "urgent",
		CaseStudy: aid.CaseStudy{HouseholdSize: 5, MonthlyIncome: money.Taka(6_000), Occupation: "rickshaw puller", Assets: "none",
			Narrative: "sole earner", DocumentsChecked: []string{"nid", "prescription"}},
		GrantRequested: true, Status: aid.Status("approved"), FiledBy: "sw-1", AssessedBy: "sw-1", ApprovedBy: "sw-2",
		ZakatEligible: true, RejectReason: "n/a",
		Allocations: []aid.Allocation{{Fund: "fund:zakat", Amount: money.Taka(8_000), Tx: "aid_1/alloc/1"}},
		CreatedAt:   at(0), UpdatedAt: at(9), RequestHash: "hash-aid",
		Version:    7,
		Change:     aid.Change{Action: "approve", By: "sw-2", Role: "social_worker", At: at(9), Note: "ok", Name: "Salma"},
		Outbox:     []events.Envelope{fixtureEnvelope("aid_1/approved")},
		ApprovedAt: at(8),
		Committee: []aid.CommitteeApproval{{By: "cm-1", Name: "Dr. Hasan", Role: "committee", At: at(7),
			Resolution: aid.Resolution{Number: "RKS-2026/14", Date: "2026-07-01"}}},
		Pending: &aid.PendingDisbursement{Items: []aid.Disbursement{{Item: 2, Amount: money.Taka(1_000), Method: "bkash", Reference: "BFT9",
			Recipient: "vendor", RecipientName: "Lazz Pharma"}}, By: "sw-1", Name: "Salma", At: at(10), From: aid.Status("allocated"), Open: true},
		Parts: []aid.Part{{Number: 1, Items: []aid.Disbursement{{Item: 1, Amount: money.Taka(4_000), Method: "cash", Reference: "STORE-1",
			Recipient: "attendant", RecipientName: "Rahim"}}, Final: true, RecordedBy: "sw-1", RecordedName: "Salma", RecordedAt: at(11),
			ConfirmedBy: "sw-2", ConfirmedName: "Nasrin", ConfirmedAt: at(12),
			Spent:    []aid.Allocation{{Fund: "fund:zakat", Amount: money.Taka(4_000), Tx: "aid_1/spend/1"}},
			Returned: []aid.Allocation{{Fund: "fund:zakat", Amount: money.Taka(4_000), Tx: "aid_1/return/1"}}}},
		DisbursedBy: "sw-1", ConfirmedBy: "sw-2",
	}
}

func fixtureAidMinimal() aid.Request {
	return aid.Request{ID: "aid_2", Unit: "dmch",
		Patient:   aid.Patient{Name: "Amina", Age: 9, Sex: "f", Guardian: "Jamal", Mobile: "01912345678", District: "dhaka", HospitalReg: "REG-8"},
		Diagnosis: "burns", Items: []aid.Item{{Category: "dressing", Description: "gauze", Estimated: money.Taka(500)}},
		Urgency: "routine", CaseStudy: aid.CaseStudy{HouseholdSize: 3}, Status: aid.Status("filed"), FiledBy: "sw-1",
		CreatedAt: at(0), UpdatedAt: at(0), Version: 1, Change: aid.Change{Action: "file", By: "sw-1", Role: "social_worker", At: at(0)},
		Parts: []aid.Part{{Number: 1, RecordedAt: at(1), ConfirmedAt: at(2)}}}
}

func fixtureWindowEntry() aid.WindowEntry {
	return aid.WindowEntry{Key: "nid:1234567890", Seq: 2, Request: "aid_1", Unit: "dmch", Amount: money.Taka(8_000), At: at(8)}
}

func fixtureGrantClaim() aid.GrantClaim {
	return aid.GrantClaim{Key: "nid:1234567890", Unit: "dmch", Request: "aid_1", At: at(0)}
}

func fixtureTransaction() ledger.Transaction {
	// One balance only: a map's keys are written in Go's random map order,
	// so only a single-key map has one byte form.
	return ledger.Transaction{ID: "don_1/paid", Unit: "dmch", Seq: 12, Cause: ledger.CauseGift, Donation: "don_1", Request: "aid_1",
		Lines: []ledger.Line{{Account: "fund:zakat", Debit: 1, Credit: money.Taka(500)}, {Account: ledger.ClearingBKash, Debit: money.Taka(500)}},
		At:    at(1), Balances: map[string]money.Amount{"fund:zakat": money.Taka(500)}}
}

func fixtureTransactionMinimal() ledger.Transaction {
	return ledger.Transaction{ID: "x/1", Unit: "dmch", Seq: 1, Cause: ledger.CauseGift,
		Lines: []ledger.Line{{Account: "fund:general", Credit: 1}}, At: at(1)}
}

func fixtureCheckpoint() ledger.Checkpoint {
	return ledger.Checkpoint{Unit: "dmch", Seq: 1000, Packed: []byte{1, 2, 3, 4},
		Cells: []ledger.Cell{{Month: "2026-07", Class: "fund", Fund: "zakat", Cause: "gift", Debit: 1, Credit: money.Taka(500), Lines: 3}}}
}

func fixtureGrantAllocation() ledger.GrantAllocation {
	return ledger.GrantAllocation{DocID: "2026-27/3", ID: "ga_1", FY: "2026-27", Seq: 3, Unit: "dmch", Amount: money.Taka(50_000),
		Total: money.Taka(1_50_000), Envelope: money.Taka(300_00_00_000), Reference: "DSS/2026/1", By: "admin-1", At: at(0)}
}

func fixtureReceipt() receipts.Receipt {
	return receipts.Receipt{ID: "don_1", Unit: "dmch", FiscalYear: "2026-27", Seq: 1, Serial: "DMCH/2026-27/000001",
		Amount: money.Taka(500), Kind: "zakat", Programme: "cancer", Method: "bkash", TrxID: "BFT0A1B2C3", PaidAt: at(1), IssuedAt: at(2),
		Content: "canonical", Signature: []byte{9, 8, 7}, KeyID: "ab12cd34", DonorRef: "ref-1"}
}

func fixtureReceiptMinimal() receipts.Receipt {
	return receipts.Receipt{ID: "don_3", Unit: "dmch", FiscalYear: "2026-27", Seq: 2, Serial: "DMCH/2026-27/000002",
		Amount: money.Taka(10), Kind: "general", Method: "cash", PaidAt: at(1), IssuedAt: at(2)}
}

func fixtureNote() receipts.Note {
	return receipts.Note{ID: "don_1/refund/rf_1", Donation: "don_1", Refund: "rf_1", Unit: "dmch", Serial: "DMCH/2026-27/000001-C1",
		OriginalSerial: "DMCH/2026-27/000001", Amount: money.Taka(100), RefundedAt: at(5), IssuedAt: at(6),
		Content: "canonical note", Signature: []byte{1, 2}, KeyID: "ab12cd34"}
}

func fixtureLinkFull() links.Link {
	return links.Link{Slug: "eid-zakat", Unit: "dmch", TitleEN: "Eid zakat", TitleBN: "ঈদের যাকাত", Kind: "zakat", Programme: "cancer",
		Amounts: []money.Amount{money.Taka(500), money.Taka(1_000)}, Goal: money.Taka(1_00_000), EndsAt: at(60), Disabled: true, CreatedBy: "ua-1", CreatedAt: at(0)}
}

func fixtureLinkMinimal() links.Link {
	return links.Link{Slug: "general", Unit: "dmch", TitleEN: "Give", TitleBN: "দান", CreatedBy: "ua-1", CreatedAt: at(0)}
}

func fixtureUnitKey() signing.UnitKey {
	return signing.UnitKey{Unit: "dmch", Fingerprint: "ab12cd34", Public: []byte{1, 2, 3}, Sealed: []byte{4, 5, 6}, SealKeyID: "seal-1", CreatedAt: at(0)}
}

func fixtureMerchant() signing.SealedMerchant {
	return signing.SealedMerchant{ID: "01770618575", Sealed: []byte{7, 7}, SealKeyID: "seal-1", Rev: 42, UpdatedAt: at(0)}
}

package mongostore

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

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

// Storage models: what the store writes for each domain type, field names
// and all, so the domain carries no storage tags (issue 16). The documents
// are byte for byte those the domain's bson tags wrote before
// (TestStoredDocumentsKeepTheirBytes), so stored data keeps reading.
//
// A model whose fields are all plain values has the same fields, in the same
// order and of the same types, as its domain type: Go converts one into the
// other directly, and a field added to the domain type breaks that
// conversion until the model has it too. A model holding other models
// converts field by field (and the full fixtures of the byte test, which
// must set every field, catch a field left out).

// mapSlice converts each element, keeping nil a nil (nil and empty encode
// differently: null and []).
func mapSlice[S, D any](in []S, f func(S) D) []D {
	if in == nil {
		return nil
	}
	out := make([]D, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// events

type envelopeDoc struct {
	ID         string          `bson:"id"`
	Type       string          `bson:"type"`
	Unit       string          `bson:"unit"`
	OccurredAt time.Time       `bson:"occurredAt"`
	Version    int             `bson:"version"`
	Payload    json.RawMessage `bson:"payload"`
}

func toEnvelopes(es []events.Envelope) []envelopeDoc {
	return mapSlice(es, func(e events.Envelope) envelopeDoc { return envelopeDoc(e) })
}

func fromEnvelopes(ds []envelopeDoc) []events.Envelope {
	return mapSlice(ds, func(d envelopeDoc) events.Envelope { return events.Envelope(d) })
}

// units

type namesDoc struct {
	EN string `bson:"en"`
	BN string `bson:"bn"`
}

type policyDoc struct {
	ApprovalThreshold money.Amount `bson:"approvalThreshold"`
	Programmes        []string     `bson:"programmes"`
	AllocationOrder   []string     `bson:"allocationOrder"`
	MinDonation       money.Amount `bson:"minDonation"`
	MaxDonation       money.Amount `bson:"maxDonation"`
	Checkers          []string     `bson:"checkers,omitempty"`
	WindowDays        int          `bson:"windowDays,omitempty"`
	CommitteeQuorum   int          `bson:"committeeQuorum,omitempty"`
	CommitteeSize     int          `bson:"committeeSize,omitempty"`
}

type merchantRefDoc struct {
	ID  string `bson:"id"`
	Rev int64  `bson:"rev"`
}

type unitDoc struct {
	Code      string          `bson:"_id"`
	Names     namesDoc        `bson:"names"`
	Level     units.Level     `bson:"level"`
	Division  string          `bson:"division"`
	District  string          `bson:"district"`
	Upazila   string          `bson:"upazila,omitempty"`
	Policy    policyDoc       `bson:"policy"`
	Status    units.Status    `bson:"status"`
	CreatedAt time.Time       `bson:"createdAt"`
	UpdatedAt time.Time       `bson:"updatedAt"`
	Merchant  *merchantRefDoc `bson:"merchant,omitempty"`
	Contact   *contactDoc     `bson:"contact,omitempty"`
}

type contactDoc struct {
	Office string `bson:"office,omitempty"`
	Phone  string `bson:"phone,omitempty"`
	Email  string `bson:"email,omitempty"`
}

func toUnitDoc(u *units.Unit) unitDoc {
	d := unitDoc{Code: u.Code, Names: namesDoc(u.Names), Level: u.Level, Division: u.Division, District: u.District,
		Upazila: u.Upazila, Policy: policyDoc(u.Policy), Status: u.Status, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if u.Merchant != nil {
		m := merchantRefDoc(*u.Merchant)
		d.Merchant = &m
	}
	if u.Contact != nil {
		ct := contactDoc(*u.Contact)
		d.Contact = &ct
	}
	return d
}

func (d *unitDoc) unit() units.Unit {
	u := units.Unit{Code: d.Code, Names: units.Names(d.Names), Level: d.Level, Division: d.Division, District: d.District,
		Upazila: d.Upazila, Policy: units.Policy(d.Policy), Status: d.Status, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.Merchant != nil {
		m := units.MerchantRef(*d.Merchant)
		u.Merchant = &m
	}
	if d.Contact != nil {
		ct := units.Contact(*d.Contact)
		u.Contact = &ct
	}
	return u
}

// donations

type donorDoc struct {
	Name  string `bson:"name,omitempty"`
	Phone string `bson:"phone"`
	Email string `bson:"email,omitempty"`
	TIN   string `bson:"tin,omitempty"`
}

type refundDoc struct {
	ID          string       `bson:"id"`
	Amount      money.Amount `bson:"amount"`
	Reason      string       `bson:"reason"`
	Status      string       `bson:"status"`
	By          string       `bson:"by"`
	RefundTrxID string       `bson:"refundTrxID,omitempty"`
	Failure     string       `bson:"failure,omitempty"`
	RequestedAt time.Time    `bson:"requestedAt"`
	// omitzero is not honoured by the driver: a zero time is written (as
	// year 1) and must stay so.
	CompletedAt time.Time `bson:"completedAt,omitzero"`
	Held        bool      `bson:"held,omitempty"`
	SentAt      time.Time `bson:"sentAt,omitzero"`
}

type donationDoc struct {
	ID          string           `bson:"donation"`
	Unit        string           `bson:"unit"`
	Amount      money.Amount     `bson:"amount"`
	Kind        donations.Kind   `bson:"kind"`
	Programme   string           `bson:"programme,omitempty"`
	Link        string           `bson:"link,omitempty"`
	Donor       donorDoc         `bson:"donor"`
	Anonymous   bool             `bson:"anonymous"`
	Method      donations.Method `bson:"method"`
	CollectedBy string           `bson:"collectedBy,omitempty"`
	// CollectedByName is the cash collector's name as their token gave it.
	CollectedByName string           `bson:"collectedByName,omitempty"`
	Status          donations.Status `bson:"status"`
	PaymentID       string           `bson:"paymentID,omitempty"`
	PaymentURL      string           `bson:"paymentURL,omitempty"`
	TrxID           string           `bson:"trxID,omitempty"`
	FailureReason   string           `bson:"failureReason,omitempty"`
	RequestHash     string           `bson:"requestHash"`
	CreatedAt       time.Time        `bson:"createdAt"`
	UpdatedAt       time.Time        `bson:"updatedAt"`
	PaidAt          time.Time        `bson:"paidAt,omitempty"`
	Merchant        string           `bson:"merchant,omitempty"`
	Refunds         []refundDoc      `bson:"refunds,omitempty"`
	Version         int              `bson:"version"`
	Outbox          []envelopeDoc    `bson:"outbox,omitempty"`
}

func toDonationDoc(d *donations.Donation) donationDoc {
	return donationDoc{ID: d.ID, Unit: d.Unit, Amount: d.Amount, Kind: d.Kind, Programme: d.Programme, Link: d.Link, Donor: donorDoc(d.Donor),
		Anonymous: d.Anonymous, Method: d.Method, CollectedBy: d.CollectedBy, CollectedByName: d.CollectedByName, Status: d.Status, PaymentID: d.PaymentID,
		PaymentURL: d.PaymentURL, TrxID: d.TrxID, FailureReason: d.FailureReason, RequestHash: d.RequestHash,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, PaidAt: d.PaidAt, Merchant: d.Merchant,
		Refunds: mapSlice(d.Refunds, func(r donations.Refund) refundDoc { return refundDoc(r) }),
		Version: d.Version, Outbox: toEnvelopes(d.Outbox)}
}

func (d *donationDoc) donation() donations.Donation {
	return donations.Donation{ID: d.ID, Unit: d.Unit, Amount: d.Amount, Kind: d.Kind, Programme: d.Programme, Link: d.Link,
		Donor: donations.Donor(d.Donor), Anonymous: d.Anonymous, Method: d.Method, CollectedBy: d.CollectedBy,
		CollectedByName: d.CollectedByName, Status: d.Status,
		PaymentID: d.PaymentID, PaymentURL: d.PaymentURL, TrxID: d.TrxID, FailureReason: d.FailureReason,
		RequestHash: d.RequestHash, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, PaidAt: d.PaidAt, Merchant: d.Merchant,
		Refunds: mapSlice(d.Refunds, func(r refundDoc) donations.Refund { return donations.Refund(r) }),
		Version: d.Version, Outbox: fromEnvelopes(d.Outbox)}
}

// aid

type patientDoc struct {
	Name        string `bson:"name"`
	Age         int    `bson:"age"`
	Sex         string `bson:"sex"`
	Guardian    string `bson:"guardian"`
	Mobile      string `bson:"mobile"`
	NID         string `bson:"nid,omitempty"`
	District    string `bson:"district"`
	Upazila     string `bson:"upazila,omitempty"`
	HospitalReg string `bson:"hospitalReg"`
	Ward        string `bson:"ward,omitempty"`
	Bed         string `bson:"bed,omitempty"`
	BirthDate   string `bson:"birthDate,omitempty"`
	IDKey       string `bson:"idKey,omitempty"`
}

type itemDoc struct {
	Category    string       `bson:"category"`
	Description string       `bson:"description"`
	Estimated   money.Amount `bson:"estimated"`
	Approved    money.Amount `bson:"approved"`
	Disbursed   money.Amount `bson:"disbursed"`
	Grant       bool         `bson:"grant,omitempty"`
}

type caseStudyDoc struct {
	HouseholdSize    int          `bson:"householdSize"`
	MonthlyIncome    money.Amount `bson:"monthlyIncome"`
	Occupation       string       `bson:"occupation"`
	Assets           string       `bson:"assets"`
	Narrative        string       `bson:"narrative"`
	DocumentsChecked []string     `bson:"documentsChecked"`
}

type changeDoc struct {
	Action string    `bson:"action"`
	By     string    `bson:"by"`
	Role   string    `bson:"role"`
	At     time.Time `bson:"at"`
	Note   string    `bson:"note,omitempty"`
	Name   string    `bson:"name,omitempty"`
}

type allocationDoc struct {
	Fund   string       `bson:"fund"`
	Amount money.Amount `bson:"amount"`
	Tx     string       `bson:"tx"`
}

type resolutionDoc struct {
	Number string `bson:"number"`
	Date   string `bson:"date"`
}

type committeeApprovalDoc struct {
	By         string        `bson:"by"`
	Name       string        `bson:"name,omitempty"`
	Role       string        `bson:"role"`
	At         time.Time     `bson:"at"`
	Resolution resolutionDoc `bson:"resolution"`
}

type disbursementDoc struct {
	Item          int          `bson:"item"`
	Amount        money.Amount `bson:"amount"`
	Method        string       `bson:"method"`
	Reference     string       `bson:"reference"`
	Recipient     string       `bson:"recipient,omitempty"`
	RecipientName string       `bson:"recipientName,omitempty"`
}

type pendingDisbursementDoc struct {
	Items []disbursementDoc `bson:"items"`
	By    string            `bson:"by"`
	Name  string            `bson:"name,omitempty"`
	At    time.Time         `bson:"at"`
	From  aid.Status        `bson:"from"`
	Open  bool              `bson:"open,omitempty"`
}

type partDoc struct {
	Number        int               `bson:"number"`
	Items         []disbursementDoc `bson:"items"`
	Final         bool              `bson:"final"`
	RecordedBy    string            `bson:"recordedBy"`
	RecordedName  string            `bson:"recordedName,omitempty"`
	RecordedAt    time.Time         `bson:"recordedAt"`
	ConfirmedBy   string            `bson:"confirmedBy"`
	ConfirmedName string            `bson:"confirmedName,omitempty"`
	ConfirmedAt   time.Time         `bson:"confirmedAt"`
	Spent         []allocationDoc   `bson:"spent,omitempty"`
	Returned      []allocationDoc   `bson:"returned,omitempty"`
}

type requestDoc struct {
	ID             string                  `bson:"request"`
	Unit           string                  `bson:"unit"`
	Patient        patientDoc              `bson:"patient"`
	Diagnosis      string                  `bson:"diagnosis"`
	Items          []itemDoc               `bson:"items"`
	Urgency        string                  `bson:"urgency"`
	CaseStudy      caseStudyDoc            `bson:"caseStudy"`
	GrantRequested bool                    `bson:"grantRequested"`
	Status         aid.Status              `bson:"status"`
	FiledBy        string                  `bson:"filedBy"`
	AssessedBy     string                  `bson:"assessedBy,omitempty"`
	ApprovedBy     string                  `bson:"approvedBy,omitempty"`
	ZakatEligible  bool                    `bson:"zakatEligible"`
	RejectReason   string                  `bson:"rejectReason,omitempty"`
	Allocations    []allocationDoc         `bson:"allocations,omitempty"`
	CreatedAt      time.Time               `bson:"createdAt"`
	UpdatedAt      time.Time               `bson:"updatedAt"`
	RequestHash    string                  `bson:"requestHash,omitempty"`
	Version        int                     `bson:"version"`
	Change         changeDoc               `bson:"change"`
	Outbox         []envelopeDoc           `bson:"outbox"`
	ApprovedAt     time.Time               `bson:"approvedAt,omitempty"`
	Committee      []committeeApprovalDoc  `bson:"committee,omitempty"`
	Pending        *pendingDisbursementDoc `bson:"pendingDisbursement,omitempty"`
	Parts          []partDoc               `bson:"parts,omitempty"`
	DisbursedBy    string                  `bson:"disbursedBy,omitempty"`
	ConfirmedBy    string                  `bson:"confirmedBy,omitempty"`
}

func toAllocations(as []aid.Allocation) []allocationDoc {
	return mapSlice(as, func(a aid.Allocation) allocationDoc { return allocationDoc(a) })
}

func fromAllocations(ds []allocationDoc) []aid.Allocation {
	return mapSlice(ds, func(d allocationDoc) aid.Allocation { return aid.Allocation(d) })
}

func toDisbursements(ds []aid.Disbursement) []disbursementDoc {
	return mapSlice(ds, func(d aid.Disbursement) disbursementDoc { return disbursementDoc(d) })
}

func fromDisbursements(ds []disbursementDoc) []aid.Disbursement {
	return mapSlice(ds, func(d disbursementDoc) aid.Disbursement { return aid.Disbursement(d) })
}

func toRequestDoc(q *aid.Request) requestDoc {
	d := requestDoc{ID: q.ID, Unit: q.Unit, Patient: patientDoc(q.Patient), Diagnosis: q.Diagnosis,
		Items: mapSlice(q.Items, func(i aid.Item) itemDoc { return itemDoc(i) }), Urgency: q.Urgency,
		CaseStudy: caseStudyDoc(q.CaseStudy), GrantRequested: q.GrantRequested, Status: q.Status, FiledBy: q.FiledBy,
		AssessedBy: q.AssessedBy, ApprovedBy: q.ApprovedBy, ZakatEligible: q.ZakatEligible, RejectReason: q.RejectReason,
		Allocations: toAllocations(q.Allocations), CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt, RequestHash: q.RequestHash,
		Version: q.Version, Change: changeDoc(q.Change), Outbox: toEnvelopes(q.Outbox), ApprovedAt: q.ApprovedAt,
		Committee: mapSlice(q.Committee, func(c aid.CommitteeApproval) committeeApprovalDoc {
			return committeeApprovalDoc{By: c.By, Name: c.Name, Role: c.Role, At: c.At, Resolution: resolutionDoc(c.Resolution)}
		}),
		Parts: mapSlice(q.Parts, func(p aid.Part) partDoc {
			return partDoc{Number: p.Number, Items: toDisbursements(p.Items), Final: p.Final, RecordedBy: p.RecordedBy,
				RecordedName: p.RecordedName, RecordedAt: p.RecordedAt, ConfirmedBy: p.ConfirmedBy, ConfirmedName: p.ConfirmedName,
				ConfirmedAt: p.ConfirmedAt, Spent: toAllocations(p.Spent), Returned: toAllocations(p.Returned)}
		}),
		DisbursedBy: q.DisbursedBy, ConfirmedBy: q.ConfirmedBy}
	if p := q.Pending; p != nil {
		d.Pending = &pendingDisbursementDoc{Items: toDisbursements(p.Items), By: p.By, Name: p.Name, At: p.At, From: p.From, Open: p.Open}
	}
	return d
}

func (d *requestDoc) request() aid.Request {
	q := aid.Request{ID: d.ID, Unit: d.Unit, Patient: aid.Patient(d.Patient), Diagnosis: d.Diagnosis,
		Items: mapSlice(d.Items, func(i itemDoc) aid.Item { return aid.Item(i) }), Urgency: d.Urgency,
		CaseStudy: aid.CaseStudy(d.CaseStudy), GrantRequested: d.GrantRequested, Status: d.Status, FiledBy: d.FiledBy,
		AssessedBy: d.AssessedBy, ApprovedBy: d.ApprovedBy, ZakatEligible: d.ZakatEligible, RejectReason: d.RejectReason,
		Allocations: fromAllocations(d.Allocations), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, RequestHash: d.RequestHash,
		Version: d.Version, Change: aid.Change(d.Change), Outbox: fromEnvelopes(d.Outbox), ApprovedAt: d.ApprovedAt,
		Committee: mapSlice(d.Committee, func(c committeeApprovalDoc) aid.CommitteeApproval {
			return aid.CommitteeApproval{By: c.By, Name: c.Name, Role: c.Role, At: c.At, Resolution: aid.Resolution(c.Resolution)}
		}),
		Parts: mapSlice(d.Parts, func(p partDoc) aid.Part {
			return aid.Part{Number: p.Number, Items: fromDisbursements(p.Items), Final: p.Final, RecordedBy: p.RecordedBy,
				RecordedName: p.RecordedName, RecordedAt: p.RecordedAt, ConfirmedBy: p.ConfirmedBy, ConfirmedName: p.ConfirmedName,
				ConfirmedAt: p.ConfirmedAt, Spent: fromAllocations(p.Spent), Returned: fromAllocations(p.Returned)}
		}),
		DisbursedBy: d.DisbursedBy, ConfirmedBy: d.ConfirmedBy}
	if p := d.Pending; p != nil {
		q.Pending = &aid.PendingDisbursement{Items: fromDisbursements(p.Items), By: p.By, Name: p.Name, At: p.At, From: p.From, Open: p.Open}
	}
	return q
}

type windowEntryDoc struct {
	Key     string       `bson:"key"`
	Seq     int          `bson:"seq"`
	Request string       `bson:"request"`
	Unit    string       `bson:"unit"`
	Amount  money.Amount `bson:"amount"`
	At      time.Time    `bson:"at"`
}

type grantClaimDoc struct {
	Key     string    `bson:"_id"`
	Unit    string    `bson:"unit"`
	Request string    `bson:"request"`
	At      time.Time `bson:"at"`
}

// ledger

type lineDoc struct {
	Account string       `bson:"account"`
	Debit   money.Amount `bson:"debit"`
	Credit  money.Amount `bson:"credit"`
}

type transactionDoc struct {
	ID       string                  `bson:"source"`
	Unit     string                  `bson:"unit"`
	Seq      int64                   `bson:"seq"`
	Cause    string                  `bson:"cause"`
	Donation string                  `bson:"donation,omitempty"`
	Request  string                  `bson:"request,omitempty"`
	Lines    []lineDoc               `bson:"lines"`
	At       time.Time               `bson:"at"`
	Balances map[string]money.Amount `bson:"balances"`
}

func toTransactionDoc(t *ledger.Transaction) transactionDoc {
	return transactionDoc{ID: t.ID, Unit: t.Unit, Seq: t.Seq, Cause: t.Cause, Donation: t.Donation, Request: t.Request,
		Lines: mapSlice(t.Lines, func(l ledger.Line) lineDoc { return lineDoc(l) }), At: t.At, Balances: t.Balances}
}

func (d *transactionDoc) transaction() ledger.Transaction {
	return ledger.Transaction{ID: d.ID, Unit: d.Unit, Seq: d.Seq, Cause: d.Cause, Donation: d.Donation, Request: d.Request,
		Lines: mapSlice(d.Lines, func(l lineDoc) ledger.Line { return ledger.Line(l) }), At: d.At, Balances: d.Balances}
}

type cellDoc struct {
	Month  string       `bson:"m"`
	Class  string       `bson:"a"`
	Fund   string       `bson:"f"`
	Cause  string       `bson:"c"`
	Debit  money.Amount `bson:"dr"`
	Credit money.Amount `bson:"cr"`
	Lines  int64        `bson:"n"`
}

type checkpointFields struct {
	Unit   string    `bson:"unit"`
	Seq    int64     `bson:"seq"`
	Packed []byte    `bson:"packed,omitempty"`
	Cells  []cellDoc `bson:"cells,omitempty"`
}

func toCheckpointFields(c *ledger.Checkpoint) checkpointFields {
	return checkpointFields{Unit: c.Unit, Seq: c.Seq, Packed: c.Packed,
		Cells: mapSlice(c.Cells, func(c ledger.Cell) cellDoc { return cellDoc(c) })}
}

func (d *checkpointFields) checkpoint() ledger.Checkpoint {
	return ledger.Checkpoint{Unit: d.Unit, Seq: d.Seq, Packed: d.Packed,
		Cells: mapSlice(d.Cells, func(c cellDoc) ledger.Cell { return ledger.Cell(c) })}
}

type grantAllocationDoc struct {
	DocID     string       `bson:"_id"`
	ID        string       `bson:"alloc"`
	FY        string       `bson:"fy"`
	Seq       int64        `bson:"seq"`
	Unit      string       `bson:"unit"`
	Amount    money.Amount `bson:"amount"`
	Total     money.Amount `bson:"total"`
	Envelope  money.Amount `bson:"envelope"`
	Reference string       `bson:"reference"`
	By        string       `bson:"by"`
	At        time.Time    `bson:"at"`
}

// receipts

// receiptFields are a receipt's stored fields; its ID (the donation's) is
// stored beside them (receiptDoc.Donation).
type receiptFields struct {
	ID         string       `bson:"-"`
	Unit       string       `bson:"unit"`
	FiscalYear string       `bson:"fy"`
	Seq        int64        `bson:"seq"`
	Serial     string       `bson:"serial"`
	Amount     money.Amount `bson:"amount"`
	Kind       string       `bson:"kind"`
	Programme  string       `bson:"programme,omitempty"`
	Method     string       `bson:"method"`
	TrxID      string       `bson:"trxID,omitempty"`
	PaidAt     time.Time    `bson:"paidAt"`
	IssuedAt   time.Time    `bson:"issuedAt"`
	Content    string       `bson:"content,omitempty"`
	Signature  []byte       `bson:"sig,omitempty"`
	KeyID      string       `bson:"keyID,omitempty"`
	DonorRef   string       `bson:"donorRef,omitempty"`
}

type noteDoc struct {
	ID             string       `bson:"_id"`
	Donation       string       `bson:"donation"`
	Refund         string       `bson:"refund"`
	Unit           string       `bson:"unit"`
	Serial         string       `bson:"serial"`
	OriginalSerial string       `bson:"originalSerial"`
	Amount         money.Amount `bson:"amount"`
	RefundedAt     time.Time    `bson:"refundedAt"`
	IssuedAt       time.Time    `bson:"issuedAt"`
	Content        string       `bson:"content,omitempty"`
	Signature      []byte       `bson:"sig,omitempty"`
	KeyID          string       `bson:"keyID,omitempty"`
}

// links

type linkDoc struct {
	Slug      string         `bson:"_id"`
	Unit      string         `bson:"unit"`
	TitleEN   string         `bson:"titleEN"`
	TitleBN   string         `bson:"titleBN"`
	Kind      string         `bson:"kind,omitempty"`
	Programme string         `bson:"programme,omitempty"`
	Amounts   []money.Amount `bson:"amounts,omitempty"`
	Goal      money.Amount   `bson:"goal,omitempty"`
	EndsAt    time.Time      `bson:"endsAt,omitzero"`
	Disabled  bool           `bson:"disabled"`
	CreatedBy string         `bson:"createdBy"`
	CreatedAt time.Time      `bson:"createdAt"`
}

// signing

type unitKeyFields struct {
	Unit        string    `bson:"unit"`
	Fingerprint string    `bson:"fingerprint"`
	Public      []byte    `bson:"public"`
	Sealed      []byte    `bson:"sealed"`
	SealKeyID   string    `bson:"sealKeyID"`
	CreatedAt   time.Time `bson:"createdAt"`
}

type sealedMerchantDoc struct {
	ID        string    `bson:"_id"`
	Sealed    []byte    `bson:"sealed"`
	SealKeyID string    `bson:"sealKeyID"`
	Rev       int64     `bson:"rev"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

// Compile-time checks that the plain models stay convertible (the
// conversions above would fail too; these name the pairs in one place).
var (
	_ = envelopeDoc(events.Envelope{})
	_ = windowEntryDoc(aid.WindowEntry{})
	_ = grantClaimDoc(aid.GrantClaim{})
	_ = grantAllocationDoc(ledger.GrantAllocation{})
	_ = receiptFields(receipts.Receipt{})
	_ = noteDoc(receipts.Note{})
	_ = linkDoc(links.Link{})
	_ = unitKeyFields(signing.UnitKey{})
	_ = sealedMerchantDoc(signing.SealedMerchant{})
)

// domainTypes lists the domain's stored types. They carry no storage names,
// so the database refuses them (guardedRegistry): written directly, one
// would be stored under Go's field names; read directly, it would come back
// empty without an error.
func domainTypes() []reflect.Type {
	return []reflect.Type{
		reflect.TypeFor[units.Unit](), reflect.TypeFor[units.Names](), reflect.TypeFor[units.Policy](), reflect.TypeFor[units.MerchantRef](), reflect.TypeFor[units.Contact](),
		reflect.TypeFor[donations.Donation](), reflect.TypeFor[donations.Donor](), reflect.TypeFor[donations.Refund](),
		reflect.TypeFor[events.Envelope](),
		reflect.TypeFor[aid.Request](), reflect.TypeFor[aid.Patient](), reflect.TypeFor[aid.Item](), reflect.TypeFor[aid.CaseStudy](),
		reflect.TypeFor[aid.Change](), reflect.TypeFor[aid.Allocation](), reflect.TypeFor[aid.Resolution](),
		reflect.TypeFor[aid.CommitteeApproval](), reflect.TypeFor[aid.Disbursement](), reflect.TypeFor[aid.PendingDisbursement](),
		reflect.TypeFor[aid.Part](), reflect.TypeFor[aid.WindowEntry](), reflect.TypeFor[aid.GrantClaim](),
		reflect.TypeFor[ledger.Transaction](), reflect.TypeFor[ledger.Line](), reflect.TypeFor[ledger.Checkpoint](),
		reflect.TypeFor[ledger.Cell](), reflect.TypeFor[ledger.GrantAllocation](),
		reflect.TypeFor[receipts.Receipt](), reflect.TypeFor[receipts.Note](),
		reflect.TypeFor[links.Link](),
		reflect.TypeFor[signing.UnitKey](), reflect.TypeFor[signing.SealedMerchant](),
	}
}

// errDomainType is returned for a domain value handed to the database.
var errDomainType = errors.New("a domain type has no storage names: convert it to its storage model")

// guardedRegistry is the driver's default registry refusing domainTypes.
func guardedRegistry() *bson.Registry {
	reg := bson.NewRegistry()
	for _, t := range domainTypes() {
		reg.RegisterTypeEncoder(t, bson.ValueEncoderFunc(func(bson.EncodeContext, bson.ValueWriter, reflect.Value) error {
			return fmt.Errorf("encode %s: %w", t, errDomainType)
		}))
		reg.RegisterTypeDecoder(t, bson.ValueDecoderFunc(func(bson.DecodeContext, bson.ValueReader, reflect.Value) error {
			return fmt.Errorf("decode %s: %w", t, errDomainType)
		}))
	}
	return reg
}

package receiptpdf

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Receipt is everything printed on a donation receipt or cancellation note.
type Receipt struct {
	SamitiNameBN, SamitiNameEN     string
	HospitalNameBN, HospitalNameEN string
	Serial                         string    // "DMCH/2025-26/000123"
	IssuedAt                       time.Time // shown in Asia/Dhaka
	// PaidAt is when the money arrived: its Asia/Dhaka date is the date of
	// the gift for the tax rebate and fixes the serial's fiscal year, so it
	// is printed beside the issue time. Zero (cancellation notes) prints
	// the issue date alone.
	PaidAt        time.Time
	DonorName     string // "" when anonymous
	Anonymous     bool
	MobileMasked  string // "01*******78"
	TIN           string // optional
	Amount        money.Amount
	Kind          string // "zakat" | "sadaqah" | "general"
	Programme     string // optional programme key ("cancer", ...)
	PaymentMethod string // "bkash" | "cash"
	TransactionID string // bKash trxID, optional
	// Citation is the tax-rebate citation from configuration; empty means
	// DefaultCitation. "\n" separates paragraphs.
	Citation       string
	VerifyURL      string // encoded in the QR code
	KeyFingerprint string // short ID of the Ed25519 key that signed the receipt
	// Cancellation, when set, turns the document into a cancellation note
	// for the receipt it names; Serial is then the note's own serial.
	Cancellation *Cancellation
}

// Cancellation describes the refund that cancels an earlier receipt.
type Cancellation struct {
	OriginalSerial   string
	OriginalIssuedAt time.Time // optional
	Reason           string
	Refunded         money.Amount
	// RefundRef is bKash's refund transaction ID, or for a gift given at
	// the counter (PaymentMethod "cash") the cash refund's reference.
	RefundRef string
	// Eligible is what of the original receipt stays eligible for a tax
	// rebate after this note: above zero, the note is a partial one.
	Eligible money.Amount
}

// Partial reports whether part of the receipt stays eligible after c.
func (c *Cancellation) Partial() bool { return c.Eligible > 0 }

// RebateWords says what a refund leaves eligible for a tax rebate, in
// Bengali and English: "৳৫০০.০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০.০০", or for
// nothing left "সম্পূর্ণ ফেরত — রেয়াতযোগ্য নয়" (issues 13 and 23).
func RebateWords(refunded, eligible money.Amount) (bn, en string) {
	if eligible <= 0 {
		return "সম্পূর্ণ ফেরত — রেয়াতযোগ্য নয়", "Fully refunded — not eligible for a tax rebate"
	}
	return bnfmt.Taka(refunded, "bn") + " ফেরত — রেয়াতযোগ্য " + bnfmt.Taka(eligible, "bn"),
		bnfmt.Taka(refunded, "en") + " refunded — " + bnfmt.Taka(eligible, "en") + " eligible for a tax rebate"
}

// ErrInvalid is returned for a receipt that cannot be rendered meaningfully.
var ErrInvalid = errors.New("invalid receipt")

func (rc *Receipt) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"serial", rc.Serial}, {"samiti name", rc.SamitiNameBN + rc.SamitiNameEN}, {"verify URL", rc.VerifyURL},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if rc.IssuedAt.IsZero() {
		missing = append(missing, "issue time")
	}
	if rc.Cancellation != nil && strings.TrimSpace(rc.Cancellation.OriginalSerial) == "" {
		missing = append(missing, "original serial")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrInvalid, strings.Join(missing, ", "))
	}
	if rc.Amount < 0 || (rc.Cancellation != nil && (rc.Cancellation.Refunded < 0 || rc.Cancellation.Eligible < 0)) {
		return fmt.Errorf("%w: negative amount", ErrInvalid)
	}
	return nil
}

// Layout constants for A5 portrait, in points.
const (
	rMargin  = 28.0
	rContent = a5Width - 2*rMargin
	qrSize   = 74.0
	gray     = 0.3 // label colour: dark enough for any black-and-white printer
)

// Render writes rc as a one-page A5 PDF. Safe for concurrent use.
func (r *Renderer) Render(w io.Writer, rc Receipt) error {
	if err := rc.validate(); err != nil {
		return err
	}
	qr, err := qrModules(rc.VerifyURL)
	if err != nil {
		return err
	}
	p := r.newPen(a5Width, a5Height)
	defer p.release()
	p.receipt(&rc, qr)
	title := "Donation receipt " + rc.Serial
	if rc.Cancellation != nil {
		title = "Cancellation note " + rc.Serial
		if rc.Cancellation.Partial() {
			title = "Partial cancellation note " + rc.Serial
		}
	}
	if err := p.d.finish(w, docInfo{title: title, subject: rc.SamitiNameEN, created: rc.IssuedAt.In(r.dhaka)}); err != nil {
		return fmt.Errorf("render receipt %s: %w", rc.Serial, err)
	}
	return nil
}

func (p *pen) receipt(rc *Receipt, qr [][]bool) {
	d := p.d
	mid := a5Width / 2
	cancel := rc.Cancellation
	issued := rc.IssuedAt.In(p.r.dhaka)

	// Header: samiti and hospital, Bengali above English.
	top := 40.0
	if rc.SamitiNameBN != "" {
		p.center(mid, top, rc.SamitiNameBN, style{fixed: true, size: 14, bold: true, maxW: rContent, minSize: 8})
		top += 16
	}
	if rc.SamitiNameEN != "" {
		p.center(mid, top, rc.SamitiNameEN, style{fixed: true, size: 10.5, bold: true, maxW: rContent, minSize: 7})
		top += 14
	}
	if rc.HospitalNameBN != "" {
		p.center(mid, top, rc.HospitalNameBN, style{fixed: true, size: 9.5, maxW: rContent, minSize: 7})
		top += 12.5
	}
	if rc.HospitalNameEN != "" {
		p.center(mid, top, rc.HospitalNameEN, style{fixed: true, size: 8.5, maxW: rContent, minSize: 6})
		top += 4
	}
	d.strokeGray(0)
	d.line(rMargin, d.height-top-4, a5Width-rMargin, d.height-top-4, 1)
	top += 23

	title := "দানের রসিদ  ·  Donation Receipt"
	sub := "আয়কর রেয়াতযোগ্য দানের প্রাপ্তিস্বীকার  ·  Acknowledgement of a gift eligible for tax rebate"
	if cancel != nil {
		// A partial refund leaves the rest of the gift eligible: its note
		// says how much, never that the gift cannot be claimed (issue 23).
		title = "বাতিল নোট  ·  Cancellation note"
		if cancel.Partial() {
			title = "আংশিক বাতিল নোট  ·  Partial cancellation note"
		}
		bn, en := RebateWords(cancel.Refunded, cancel.Eligible)
		sub = bn + "  ·  " + en
	}
	p.center(mid, top, title, style{size: 13, bold: true, fixed: true})
	top += 13
	p.center(mid, top, sub, style{size: 7.5, fixed: true, maxW: rContent, minSize: 5})
	top += 20

	// Serial and date.
	lbl := style{size: 7.5, fixed: true}
	d.fillGray(gray)
	serialLabel := "রসিদ নং  ·  Receipt No."
	if cancel != nil {
		serialLabel = "নোট নং  ·  Note No."
	}
	p.left(rMargin, top, serialLabel, lbl)
	clock := issued.Format("15:04")
	half := style{maxW: rContent/2 - 6, minSize: 5}
	if rc.PaidAt.IsZero() {
		p.right(a5Width-rMargin, top, "তারিখ  ·  Date", lbl)
		d.fillGray(0)
		top += 14
		p.left(rMargin, top, rc.Serial, style{size: 11.5, bold: true, maxW: rContent / 2, minSize: 7})
		p.right(a5Width-rMargin, top, bnfmt.DateBN(issued)+", "+bnfmt.Digits(clock), style{size: 9.5, bold: true})
		top += 12
		p.right(a5Width-rMargin, top, bnfmt.DateEN(issued)+", "+clock+" (UTC+6)", style{size: 8.5})
		top += 10
	} else {
		// The payment date is the gift's date for the rebate and the
		// serial's fiscal year; a receipt issued after midnight says so.
		paid := rc.PaidAt.In(p.r.dhaka)
		p.right(a5Width-rMargin, top, "পরিশোধের তারিখ  ·  Payment date", lbl)
		d.fillGray(0)
		top += 14
		p.left(rMargin, top, rc.Serial, style{size: 11.5, bold: true, maxW: rContent / 2, minSize: 7})
		p.right(a5Width-rMargin, top, bnfmt.DateBN(paid), style{size: 9.5, bold: true})
		top += 12
		d.fillGray(gray)
		p.left(rMargin, top, "ইস্যু  ·  Issued", style{size: 7, fixed: true})
		d.fillGray(0)
		p.right(a5Width-rMargin, top, bnfmt.DateEN(paid), style{size: 8.5})
		top += 10
		half.size = 7.5
		p.left(rMargin, top, bnfmt.DateBN(issued)+", "+bnfmt.Digits(clock)+"  ·  "+bnfmt.DateEN(issued)+", "+clock+" (UTC+6)", half)
		top += 8
	}

	// Detail rows.
	type row struct {
		label bilingual
		value string
		fixed bool // value is a label that recurs on other receipts
	}
	var rows []row
	if cancel != nil {
		v := cancel.OriginalSerial
		if !cancel.OriginalIssuedAt.IsZero() {
			v += "  (" + bnfmt.DateEN(cancel.OriginalIssuedAt.In(p.r.dhaka)) + ")"
		}
		rows = append(rows, row{bilingual{"মূল রসিদ", "Original receipt"}, v, false})
	}
	donor := rc.DonorName
	if rc.Anonymous || strings.TrimSpace(donor) == "" {
		donor = "বেনামী / Anonymous"
	}
	rows = append(rows, row{bilingual{"দাতা", "Donor"}, donor, donor != rc.DonorName})
	if rc.MobileMasked != "" {
		rows = append(rows, row{bilingual{"মোবাইল", "Mobile"}, rc.MobileMasked, false})
	}
	if rc.TIN != "" {
		rows = append(rows, row{bilingual{"টিআইএন", "TIN"}, rc.TIN, false})
	}
	rows = append(rows, row{bilingual{"দানের ধরন", "Gift type"}, kindLabel(rc.Kind).String(), true})
	if rc.Programme != "" {
		rows = append(rows, row{bilingual{"কর্মসূচি", "Programme"}, programmeLabel(rc.Programme).String(), true})
	}
	if rc.PaymentMethod != "" {
		rows = append(rows, row{bilingual{"পরিশোধ পদ্ধতি", "Payment"}, methodLabel(rc.PaymentMethod).String(), true})
	}
	if rc.TransactionID != "" {
		l := bilingual{"লেনদেন আইডি", "Transaction ID"}
		if rc.PaymentMethod == "cash" {
			l.bn, l.en = ReferenceLabel("cash")
		}
		rows = append(rows, row{l, rc.TransactionID, false})
	}
	if cancel != nil && cancel.Reason != "" {
		rows = append(rows, row{bilingual{"বাতিলের কারণ", "Reason"}, cancel.Reason, false})
	}
	if cancel != nil && cancel.RefundRef != "" {
		l := bilingual{"ফেরত আইডি", "bKash refund ID"}
		if rc.PaymentMethod == "cash" {
			l = bilingual{"নগদ ফেরত", "Cash refund ref."}
		}
		rows = append(rows, row{l, cancel.RefundRef, false})
	}
	// Each value is drawn in its own box, on one line (shrunk, then cut
	// with "…"): no value can spill into the next row or pass for a label.
	const labelW = 128.0
	val := style{size: 9.5, maxW: rContent - labelW, minSize: 5}
	d.strokeGray(0.6)
	for _, rw := range rows {
		top += 14.5
		d.fillGray(gray)
		p.left(rMargin, top, rw.label.bn+"  ·  "+rw.label.en, style{size: 7.5, fixed: true})
		d.fillGray(0)
		val.fixed = rw.fixed
		p.left(rMargin+labelW, top, rw.value, val)
		d.line(rMargin, d.height-top-4.5, a5Width-rMargin, d.height-top-4.5, 0.4)
	}

	// Amount box.
	amount, amountLabel := rc.Amount, "পরিমাণ  ·  Amount"
	if cancel != nil {
		amount, amountLabel = cancel.Refunded, "ফেরতের পরিমাণ  ·  Amount refunded"
	}
	top += 14
	boxTop := top
	wordsW := rContent - 16
	wordsBN := p.wrap("কথায়: "+bnfmt.WordsBN(amount), style{size: 9, vocab: true}, wordsW)
	wordsEN := p.wrap("In words: "+bnfmt.WordsEN(amount), style{size: 8.5, vocab: true}, wordsW)
	boxH := 44 + 12*float64(len(wordsBN)) + 11*float64(len(wordsEN))
	if cancel != nil {
		boxH += 24
	}
	d.strokeGray(0)
	d.strokeRect(rMargin, d.height-boxTop-boxH, rContent, boxH, 1.2)
	top += 13
	d.fillGray(gray)
	p.left(rMargin+8, top, amountLabel, lbl)
	d.fillGray(0)
	top += 19
	p.left(rMargin+8, top, bnfmt.Taka(amount, "bn"), style{size: 17, bold: true})
	p.right(a5Width-rMargin-8, top, bnfmt.Taka(amount, "en"), style{size: 12, bold: true})
	top += 15
	top = p.drawLines(rMargin+8, top, wordsBN, 9, 12)
	top = p.drawLines(rMargin+8, top-1, wordsEN, 8.5, 11)
	if cancel != nil {
		d.fillGray(gray)
		p.left(rMargin+8, top+1, "মূল দানের পরিমাণ  ·  Original gift:  "+bnfmt.Taka(rc.Amount, "bn")+"  ("+bnfmt.Taka(rc.Amount, "en")+")", style{size: 8})
		p.left(rMargin+8, top+13, "এখনও রেয়াতযোগ্য  ·  Still eligible for a tax rebate:  "+bnfmt.Taka(cancel.Eligible, "bn")+"  ("+bnfmt.Taka(cancel.Eligible, "en")+")", style{size: 8})
		d.fillGray(0)
	}
	top = boxTop + boxH

	// Footer, anchored to the bottom: signature statement beside the QR code.
	fp := rc.KeyFingerprint
	if fp == "" {
		fp = "—"
	}
	footW := rContent - qrSize - 14
	sigBN := p.wrap("এই রসিদটি সমিতির Ed25519 কী দিয়ে ইলেকট্রনিকভাবে স্বাক্ষরিত; হাতে স্বাক্ষর বা সিলের প্রয়োজন নেই।",
		style{size: 7.5, fixed: true}, footW)
	sigEN := p.wrap("This document is signed electronically with the samiti's Ed25519 key and needs no handwritten signature or seal.",
		style{size: 7, fixed: true}, footW)
	if cancel != nil {
		sigBN = p.wrap("এই নোটটি সমিতির Ed25519 কী দিয়ে ইলেকট্রনিকভাবে স্বাক্ষরিত; হাতে স্বাক্ষর বা সিলের প্রয়োজন নেই।",
			style{size: 7.5, fixed: true}, footW)
	}
	urlLines := p.wrap(rc.VerifyURL, style{size: 7}, footW-50)
	footH := 12 + 11*float64(len(sigBN)) + 9.5*float64(len(sigEN)) + 10 + 9*float64(len(urlLines))
	footTop := a5Height - rMargin - max(footH, qrSize+24)

	// Citation (receipts) or cancellation statement, in the space between.
	var paras []string
	if cancel == nil {
		cit := rc.Citation
		if strings.TrimSpace(cit) == "" {
			cit = DefaultCitation
		}
		paras = strings.Split(cit, "\n")
	} else {
		paras = []string{
			"এই নোট রসিদ " + cancel.OriginalSerial + "-এর দান ফেরতের প্রমাণ; মূল রসিদ অপরিবর্তিত রাখা হয়েছে।",
			"This note records the refund of the gift on receipt " + cancel.OriginalSerial + "; the original receipt is kept unaltered.",
		}
		if cancel.Partial() {
			paras = []string{
				"এই নোট রসিদ " + cancel.OriginalSerial + "-এর দানের একাংশ ফেরতের প্রমাণ; বাকি " + bnfmt.Taka(cancel.Eligible, "bn") +
					" কর রেয়াতযোগ্য থাকে। মূল রসিদ অপরিবর্তিত রাখা হয়েছে।",
				"This note records the refund of part of the gift on receipt " + cancel.OriginalSerial + "; the remaining " +
					bnfmt.Taka(cancel.Eligible, "en") + " stays eligible for a tax rebate. The original receipt is kept unaltered.",
			}
		}
	}
	heading := "কর রেয়াত  ·  Tax rebate"
	if cancel != nil {
		heading = "" // the subtitle already says why this note exists
	}
	top += 16
	avail := footTop - 8 - top
	if heading != "" {
		avail -= 12
	}
	var citLines [][]*shaped
	var citSize float64
	for citSize = 7.5; ; citSize -= 0.5 {
		citLines = citLines[:0]
		h := 0.0
		for _, para := range paras {
			ls := p.wrap(para, style{size: citSize, fixed: cancel == nil}, rContent)
			citLines = append(citLines, ls)
			h += float64(len(ls))*citSize*1.35 + 3
		}
		if h <= avail || citSize <= 5.5 {
			break
		}
	}
	if heading != "" {
		p.left(rMargin, top, heading, style{size: 8.5, bold: true, fixed: true})
		top += 12
	}
	for _, ls := range citLines {
		top = p.drawLines(rMargin, top, ls, citSize, citSize*1.35) + 3
	}

	d.strokeGray(0)
	d.line(rMargin, d.height-footTop, a5Width-rMargin, d.height-footTop, 0.6)
	ft := footTop + 13
	p.left(rMargin, ft, "ইলেকট্রনিকভাবে স্বাক্ষরিত  ·  Signed electronically", style{size: 8.5, bold: true, fixed: true})
	ft += 11
	ft = p.drawLines(rMargin, ft, sigBN, 7.5, 11)
	ft = p.drawLines(rMargin, ft-1, sigEN, 7, 9.5)
	ft += 1
	d.fillGray(gray)
	p.left(rMargin, ft, "কী  ·  Key:", style{size: 7, fixed: true})
	d.fillGray(0)
	p.left(rMargin+50, ft, fp, style{size: 7, bold: true})
	ft += 10
	d.fillGray(gray)
	p.left(rMargin, ft, "যাচাই  ·  Verify:", style{size: 7, fixed: true})
	d.fillGray(0)
	p.drawLines(rMargin+50, ft, urlLines, 7, 9)

	qrX := a5Width - rMargin - qrSize
	p.drawQR(qrX, footTop+13, qrSize, qr)
	d.fillGray(gray)
	p.center(qrX+qrSize/2, footTop+13+qrSize+8, "স্ক্যান করে যাচাই করুন · Scan to verify", style{size: 5.5, fixed: true})
	d.fillGray(0)
}

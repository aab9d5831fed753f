package integration

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Issue #23: the donation API is public, so the text it takes must not be
// able to make a signed receipt say what it should not.

// TestForgedDonorNamesRefused sends the forged names: a line
// break or CR LF is refused with a 422 naming donor.name (API) and a
// Bengali message (donation page); 80 spaces collapse to one, so the signed
// receipt holds "Rahim Tk 5,00,000" on one line.
func TestForgedDonorNamesRefused(t *testing.T) {
	for i, name := range []string{
		"Rahim\nপরিমাণ · Amount ৳৫,০০,০০০   Tk 5,00,000",
		"Rahim\r\nIn words: Five lakh taka only",
		"Rahim \u202e000,00,5 kT", // a direction override
		"Rahim\u2028Amount",       // a line separator
		"Аmount",                  // Cyrillic А: a look-alike label
		"Rahim ٥٠٠٠٠٠",            // digits of another script
	} {
		r := do(t, "POST", "/api/v1/units/dmch/donations", donorGift("100.00", "general", name, "01712000231"),
			map[string]string{"Idempotency-Key": fmt.Sprintf("forged-name-%d", i)})
		problemOf(t, r, 422, "donor.name")
	}
	for field, body := range map[string]map[string]any{
		"donor.email": {"amount": "100.00", "kind": "general", "donor": map[string]any{"name": "Rahim", "phone": "01712000231", "email": "a@b.com\r\nBcc: x@y.com"}},
	} {
		problemOf(t, do(t, "POST", "/api/v1/units/dmch/donations", body, map[string]string{"Idempotency-Key": "forged-" + field}), 422, field)
	}

	// The donation page says it in Bengali, keeping what was typed.
	page := form(t, stack.APIURL()+"/d/dmch", url.Values{"amount": {"500"}, "kind": {"zakat"}, "name": {"Rahim\r\nIn words: Five lakh taka only"},
		"phone": {"01712000231"}, "key": {"forged-page-1"}})
	if page.Status != 422 || !strings.Contains(string(page.Body), "এক লাইনে লিখুন") {
		t.Fatalf("donation page with a forged name: %d\n%s", page.Status, page.Body)
	}

	id := receiptGift(t, "dmch", "forged-spaces", donorGift("900.00", "general", "Rahim"+strings.Repeat(" ", 80)+"Tk 5,00,000", "01712000232"))
	c, err := receipts.ParseContent([]byte(receiptDoc(t, id)["content"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Donor != "Rahim Tk 5,00,000" {
		t.Fatalf("signed donor name %q: white space not collapsed", c.Donor)
	}
}

// TestReceiptDatesAtFiscalYearEnd: a gift paid at 23:59:50 on 30 June and
// receipted at 00:00:02 on 1 July (worker lag across midnight, on the
// rebate's busiest day) carries the old fiscal year's serial, so its
// receipt prints the payment date, 30 June, labelled, beside the issue
// time; the verification page and the JSON say both; the annual statement
// dates and orders its rows by payment.
func TestReceiptDatesAtFiscalYearEnd(t *testing.T) {
	const unit, phone = "fy-edge", "01711000456"
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, unitBody("Magura Sadar Hospital", "মাগুরা সদর হাসপাতাল"), token(t, "platform_admin", "")); r.Status != 201 && r.Status != 200 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	dhaka := receipts.Dhaka()
	sealer := stackSealer(t)
	// Gift A: paid 23:59:50, issued 00:00:02 the next day (after B).
	// Gift B: paid 23:59:55, issued 23:59:58 (before A, so serial 1).
	gifts := []struct {
		key          string
		paid, issued time.Time
	}{
		{"fy-edge-b", time.Date(2026, time.June, 30, 23, 59, 55, 0, dhaka), time.Date(2026, time.June, 30, 23, 59, 58, 0, dhaka)},
		{"fy-edge-a", time.Date(2026, time.June, 30, 23, 59, 50, 0, dhaka), time.Date(2026, time.July, 1, 0, 0, 2, 0, dhaka)},
	}
	serials := map[string]string{}
	ids := map[string]string{}
	for _, g := range gifts {
		d, ev := quietPaidGift(t, unit, g.key, "Fiscal Edge", phone, "", false)
		ev = withPayload(t, ev, func(p *donations.PaidPayload) { p.PaidAt = g.paid })
		issuer := testIssuer(sealer, nil, stack.Store.Donations())
		issuer.Now = func() time.Time { return g.issued }
		if err := handleRetrying(ctx, issuer, ev); err != nil {
			t.Fatal(err)
		}
		rc := do(t, "GET", "/api/v1/receipts/"+d.ID, nil, nil).JSON(t)
		serials[g.key], ids[g.key] = rc["serial"].(string), d.ID
		if !strings.HasPrefix(rc["serial"].(string), "FY-EDGE/2025-26/") || rc["valid"] != true ||
			rc["paidAt"] != receipts.FormatTime(g.paid) || rc["issuedAt"] != receipts.FormatTime(g.issued) {
			t.Fatalf("receipt %v", rc)
		}
	}
	a := ids["fy-edge-a"]
	if v := verify(t, a); v["paidAt"] != receipts.FormatTime(gifts[1].paid) || v["issuedAt"] != receipts.FormatTime(gifts[1].issued) {
		t.Fatalf("verify JSON: %v", v)
	}
	pdf := do(t, "GET", "/api/v1/receipts/"+a+".pdf", nil, nil)
	if pdf.Status != 200 {
		t.Fatalf("pdf: %d", pdf.Status)
	}
	text := pdfText(t, pdf.Body)
	for _, want := range []string{serials["fy-edge-a"], "পরিশোধের তারিখ · Payment date", "৩০ জুন ২০২৬", "30 June 2026",
		"ইস্যু · Issued", "১ জুলাই ২০২৬, ০০:০০ · 1 July 2026, 00:00 (UTC+6)"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt PDF lacks %q:\n%s", want, text)
		}
	}
	page := do(t, "GET", "/r/"+a, nil, nil)
	if body := string(page.Body); !strings.Contains(body, `Payment date</span></th><td>৩০ জুন ২০২৬ <span lang="en">· 30 June 2026</span>`) ||
		!strings.Contains(body, `Issued</span></th><td>১ জুলাই ২০২৬, ০০:০০ <span lang="en">· 1 July 2026, 00:00 (UTC+6)`) {
		t.Errorf("verification page dates:\n%s", body)
	}

	st := counterStatement(t, token(t, "platform_admin", ""), phone, "2025-26")
	if st.Status != 200 {
		t.Fatalf("statement: %d %s", st.Status, st.Body)
	}
	stText := pdfText(t, st.Body)
	ia, ib := strings.Index(stText, serials["fy-edge-a"]), strings.Index(stText, serials["fy-edge-b"])
	if ia < 0 || ib < 0 || ia > ib {
		t.Errorf("statement rows not in payment order (A paid first, issued last):\n%s", stText)
	}
	if strings.Count(stText, "30 Jun 2026") != 2 || strings.Contains(stText, "01 Jul 2026") {
		t.Errorf("statement rows not dated by payment:\n%s", stText)
	}
}

// TestForgedTextRefusedEverywhere: the same rules hold for every free-text
// field that reaches a signed document, a page or a message: a campaign
// title, a unit's names, a refund's reason, a patient's name and case
// narrative, each refused with a 422 naming the field.
func TestForgedTextRefusedEverywhere(t *testing.T) {
	admin := token(t, "unit_admin", "dmch")
	link := map[string]any{"slug": "forged-title-dmch", "title": map[string]any{"en": "Ramadan\nAmount Tk 5,00,000", "bn": "রমজান"}, "kind": "zakat"}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", link, admin), 422, "title.en")

	unit := unitBody("Forged Hospital", "জাল \u202eহাসপাতাল")
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/forged-unit", unit, token(t, "platform_admin", "")), 422, "names.bn")

	id := cashGift(t, "dmch", "forged-refund-gift", donorGift("300.00", "general", "Refund Donor", "01712000233"))
	waitReceipted(t, id)
	hdr := map[string]string{"Idempotency-Key": "forged-refund-1", "Authorization": admin["Authorization"]}
	problemOf(t, do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": "100.00", "reason": "gave twice\r\nIn words: Five lakh taka only"}, hdr), 422, "reason")

	sw := token(t, "social_worker", "dmch")
	body := aidBody("cancer", "", "01712000234", "1000")
	body["patient"].(map[string]any)["name"] = "Amena\x1b[2J Khatun"
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/aid-requests", body, sw), 422, "patient.name")
	body = aidBody("cancer", "", "01712000234", "1000")
	body["caseStudy"].(map[string]any)["narrative"] = "Needs help \u2066urgently\u2069"
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/aid-requests", body, sw), 422, "caseStudy.narrative")
}

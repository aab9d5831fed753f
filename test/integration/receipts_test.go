package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/text/unicode/norm"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// receiptGift pays a bKash gift through the sandbox and waits for its receipt.
func receiptGift(t *testing.T, unit, key string, body map[string]any) string {
	t.Helper()
	r := do(t, "POST", "/api/v1/units/"+unit+"/donations", body, map[string]string{"Idempotency-Key": key})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	id := d["id"].(string)
	page := form(t, d["paymentURL"].(string), url.Values{"action": {"pay"}})
	if cb := do(t, "GET", page.Header.Get("Location"), nil, nil); cb.Status != 303 {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	waitReceipted(t, id)
	return id
}

// cashGift records a cash gift at the counter (paid at once).
func cashGift(t *testing.T, unit, key string, body map[string]any) string {
	t.Helper()
	hdr := token(t, "cashier", unit)
	hdr["Idempotency-Key"] = key
	var r resp
	// A 500 invites a retry with the same key (SQLite-backed FerretDB says
	// "database is locked" under heavy concurrent writes).
	for try := 0; try < 5; try++ {
		if r = do(t, "POST", "/api/v1/units/"+unit+"/cash-donations", body, hdr); r.Status != 500 {
			break
		}
	}
	if r.Status != 201 && r.Status != 200 {
		t.Fatalf("cash gift: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

func waitReceipted(t *testing.T, id string) {
	t.Helper()
	eventually(t, "receipt of "+id, func() bool {
		return do(t, "GET", "/api/v1/receipts/"+id, nil, nil).Status == 200
	})
}

func donorGift(amount, kind, name, phone string) map[string]any {
	return map[string]any{"amount": amount, "currency": "BDT", "kind": kind,
		"donor": map[string]any{"name": name, "phone": phone, "email": "donor@example.com", "tin": "123456789012"}, "anonymous": false}
}

func verify(t *testing.T, id string) map[string]any {
	t.Helper()
	r := do(t, "GET", "/api/v1/receipts/"+id+"/verify", nil, nil)
	if r.Status != 200 {
		t.Fatalf("verify %s: %d %s", id, r.Status, r.Body)
	}
	return r.JSON(t)
}

// pdfText extracts a PDF's text with poppler's pdftotext, NFC-normalised
// with whitespace collapsed.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (apt-get install poppler-utils): %v", err)
	}
	return strings.Join(strings.Fields(norm.NFC.String(string(out))), " ")
}

// notifications reads the embedded default's notification file.
func notifications(t *testing.T) []notify.FileLine {
	t.Helper()
	b, err := os.ReadFile(stack.Config.Notify.File)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.FileLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l notify.FileLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("notification line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

func findNotification(t *testing.T, ref string) *notify.FileLine {
	t.Helper()
	for _, l := range notifications(t) {
		if l.Ref == ref {
			return &l
		}
	}
	return nil
}

func receiptDoc(t *testing.T, id string) bson.M {
	t.Helper()
	var doc bson.M
	if err := stack.Store.Database().Collection("receipts").FindOne(context.Background(), bson.M{"donation": id}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func setReceipt(t *testing.T, id string, set bson.M) {
	t.Helper()
	if _, err := stack.Store.Database().Collection("receipts").UpdateOne(context.Background(), bson.M{"donation": id}, bson.M{"$set": set}); err != nil {
		t.Fatal(err)
	}
}

func seedB64(seed []byte) string { return base64.StdEncoding.EncodeToString(seed) }

func unitBody(en, bn string) map[string]any {
	return map[string]any{"names": map[string]any{"en": en, "bn": bn}, "level": "district", "division": "Khulna", "district": "Jashore"}
}

func TestSignedReceiptPDFVerificationAndNotification(t *testing.T) {
	id := receiptGift(t, "dmch", "receipt-1", donorGift("500.00", "zakat", "Rahima Begum", "01712345678"))

	r := do(t, "GET", "/api/v1/receipts/"+id, nil, nil)
	rc := r.JSON(t)
	serial := rc["serial"].(string)
	if !regexp.MustCompile(`^DMCH/\d{4}-\d{2}/\d{6}$`).MatchString(serial) || rc["valid"] != true || rc["amount"] != "500.00" || rc["kind"] != "zakat" {
		t.Fatalf("receipt %s", r.Body)
	}
	if rc["unitNames"].(map[string]any)["bn"] != "ঢাকা মেডিকেল কলেজ হাসপাতাল" || rc["donor"].(map[string]any)["mobile"] != contact.MaskMobile("01712345678") {
		t.Fatalf("receipt %s", r.Body)
	}
	for _, secret := range []string{"Rahima", "01712345678", "123456789012", "donor@example.com"} {
		if strings.Contains(string(r.Body), secret) {
			t.Fatalf("receipt JSON leaks %q: %s", secret, r.Body)
		}
	}
	if v := verify(t, id); v["valid"] != true || v["serial"] != serial || v["keyFingerprint"] != rc["keyFingerprint"] {
		t.Fatalf("verify %v", v)
	}

	// The PDF: A5, real text, Bengali shaped, the signed details.
	pdf := do(t, "GET", "/api/v1/receipts/"+id+".pdf", nil, nil)
	if pdf.Status != 200 || pdf.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.Body, []byte("%PDF-")) {
		t.Fatalf("pdf: %d %s", pdf.Status, pdf.Header)
	}
	text := pdfText(t, pdf.Body)
	for _, want := range []string{serial, "ঢাকা মেডিকেল কলেজ হাসপাতাল রোগীকল্যাণ সমিতি", "Dhaka Medical College Hospital Rogi Kalyan Samiti",
		"Rahima Begum", contact.MaskMobile("01712345678"), "123456789012", "যাকাত", rc["keyFingerprint"].(string)} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	info, err := exec.Command("pdfinfo", writeTemp(t, pdf.Body)).Output()
	if err != nil || !strings.Contains(string(info), "419.53 x 595.28 pts") { // A5 portrait
		t.Errorf("pdfinfo: %v %s", err, info)
	}

	// The page the QR code opens.
	page := do(t, "GET", "/r/"+id, nil, map[string]string{"Accept": "text/html"})
	if page.Status != 200 || !strings.Contains(string(page.Body), "এই রসিদটি আসল") || !strings.Contains(string(page.Body), "genuine") || !strings.Contains(string(page.Body), serial) {
		t.Fatalf("verification page: %d %s", page.Status, page.Body)
	}
	if strings.Contains(string(page.Body), "Rahima") || strings.Contains(string(page.Body), "01712345678") {
		t.Fatal("verification page leaks donor data")
	}

	// The unit's public key verifies the stored signature independently.
	keys := do(t, "GET", "/api/v1/units/dmch/keys", nil, nil)
	var pub ed25519.PublicKey
	for _, k := range keys.JSON(t)["keys"].([]any) {
		k := k.(map[string]any)
		if k["fingerprint"] == rc["keyFingerprint"] {
			pub, _ = base64.StdEncoding.DecodeString(k["publicKey"].(string))
			if k["active"] != true || k["algorithm"] != "Ed25519" {
				t.Fatalf("key %v", k)
			}
		}
	}
	doc := receiptDoc(t, id)
	sig := doc["sig"].(bson.Binary).Data
	if pub == nil || !ed25519.Verify(pub, []byte(doc["content"].(string)), sig) {
		t.Fatalf("published key does not verify the stored signature (keys %s)", keys.Body)
	}
	if strings.Contains(string(keys.Body), "sealed") || strings.Contains(string(keys.Body), "seed") {
		t.Fatal("keys endpoint leaks private material")
	}

	// The donor is told, in Bengali, by SMS (and e-mail): the outbox file.
	var sms, mail *notify.FileLine
	eventually(t, "receipt notifications", func() bool {
		sms, mail = findNotification(t, id+"/receipt/sms"), findNotification(t, id+"/receipt/email")
		return sms != nil && mail != nil
	})
	if sms.To != "01712345678" || !strings.Contains(sms.Text, "রসিদ") || !strings.Contains(sms.Text, stack.Config.PublicURL+"/r/"+id) || !strings.Contains(sms.Text, serial) {
		t.Fatalf("sms %+v", sms)
	}
	if mail.To != "donor@example.com" || !strings.Contains(mail.Subject, serial) {
		t.Fatalf("email %+v", mail)
	}

	t.Run("amount altered in the database", func(t *testing.T) {
		setReceipt(t, id, bson.M{"amount": int64(5_000_000)})
		defer setReceipt(t, id, bson.M{"amount": int64(50_000)})
		if v := verify(t, id); v["valid"] != false || v["reason"] != receipts.ReasonMismatch {
			t.Fatalf("tampered amount verifies: %v", v)
		}
		page := do(t, "GET", "/r/"+id, nil, map[string]string{"Accept": "text/html"})
		if !strings.Contains(string(page.Body), "যাচাই করা যায়নি") || !strings.Contains(string(page.Body), "NOT be verified") {
			t.Fatalf("page of a tampered receipt: %s", page.Body)
		}
		problemOf(t, do(t, "GET", "/api/v1/receipts/"+id+".pdf", nil, nil), 409, "")
	})
	t.Run("signed content altered", func(t *testing.T) {
		content := doc["content"].(string)
		forged := strings.Replace(content, `"amount":"500.00"`, `"amount":"5000.00"`, 1)
		if forged == content {
			t.Fatalf("content %s", content)
		}
		setReceipt(t, id, bson.M{"content": forged, "amount": int64(500_000)})
		defer setReceipt(t, id, bson.M{"content": content, "amount": int64(50_000)})
		if v := verify(t, id); v["valid"] != false || v["reason"] != receipts.ReasonBadSignature {
			t.Fatalf("forged content verifies: %v", v)
		}
	})
	t.Run("signed by another unit's key", func(t *testing.T) {
		seed := signing.NewSeed()
		if r := do(t, "PUT", "/api/v1/admin/units/rcpt-foreign", func() map[string]any {
			b := unitBody("Jashore General Hospital", "যশোর জেনারেল হাসপাতাল")
			b["signingKey"] = seedB64(seed)
			return b
		}(), token(t, "platform_admin", "")); r.Status != 201 && r.Status != 200 {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		content := doc["content"].(string)
		setReceipt(t, id, bson.M{"sig": ed25519.Sign(priv, []byte(content)), "keyID": signing.Fingerprint(priv.Public().(ed25519.PublicKey))})
		defer setReceipt(t, id, bson.M{"sig": sig, "keyID": doc["keyID"]})
		if v := verify(t, id); v["valid"] != false || v["reason"] != receipts.ReasonForeignKey {
			t.Fatalf("foreign signature verifies: %v", v)
		}
	})
	if v := verify(t, id); v["valid"] != true {
		t.Fatalf("restored receipt: %v", v)
	}

	t.Run("unknown receipt", func(t *testing.T) {
		for _, p := range []string{"/api/v1/receipts/don_nosuch", "/api/v1/receipts/don_nosuch.pdf", "/api/v1/receipts/don_nosuch/verify"} {
			problemOf(t, do(t, "GET", p, nil, nil), 404, "")
		}
		page := do(t, "GET", "/r/don_nosuch", nil, map[string]string{"Accept": "text/html"})
		if page.Status != 404 || !strings.Contains(string(page.Body), "কোনো রসিদ নেই") {
			t.Fatalf("missing page: %d %s", page.Status, page.Body)
		}
		problemOf(t, do(t, "GET", "/api/v1/units/no-such-unit/keys", nil, nil), 404, "")
	})
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

type keyList struct {
	Keys []struct {
		Fingerprint string `json:"fingerprint"`
		PublicKey   string `json:"publicKey"`
		Active      bool   `json:"active"`
	} `json:"keys"`
}

func unitKeys(t *testing.T, unit string) keyList {
	t.Helper()
	r := do(t, "GET", "/api/v1/units/"+unit+"/keys", nil, nil)
	if r.Status != 200 {
		t.Fatalf("keys: %d %s", r.Status, r.Body)
	}
	var kl keyList
	if err := json.Unmarshal(r.Body, &kl); err != nil {
		t.Fatal(err)
	}
	return kl
}

func TestSigningKeyRotation(t *testing.T) {
	admin := token(t, "platform_admin", "")
	put := func(key string) resp {
		b := unitBody("Khulna Medical College Hospital", "খুলনা মেডিকেল কলেজ হাসপাতাল")
		if key != "" {
			b["signingKey"] = key
		}
		return do(t, "PUT", "/api/v1/admin/units/rcpt-rotate", b, admin)
	}
	fp := func(seed []byte) string {
		return signing.Fingerprint(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	}
	problemOf(t, put("not-a-key"), 422, "signingKey")
	problemOf(t, put(base64.StdEncoding.EncodeToString([]byte("too short"))), 422, "signingKey")

	seed1, seed2 := signing.NewSeed(), signing.NewSeed()
	if r := put(seedB64(seed1)); r.Status != 201 || strings.Contains(string(r.Body), seedB64(seed1)) {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if kl := unitKeys(t, "rcpt-rotate"); len(kl.Keys) != 1 || kl.Keys[0].Fingerprint != fp(seed1) || !kl.Keys[0].Active {
		t.Fatalf("keys %+v", kl)
	}
	first := cashGift(t, "rcpt-rotate", "rot-1", donorGift("300.00", "general", "Karim", "01911000001"))
	waitReceipted(t, first)
	if v := verify(t, first); v["valid"] != true || v["keyFingerprint"] != fp(seed1) {
		t.Fatalf("first receipt %v", v)
	}

	// The operator rotates the Secret: the new key signs, the old one stays.
	if r := put(seedB64(seed2)); r.Status != 200 {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	put("") // a PUT without a key changes nothing
	kl := unitKeys(t, "rcpt-rotate")
	if len(kl.Keys) != 2 || kl.Keys[0].Fingerprint != fp(seed1) || kl.Keys[0].Active || kl.Keys[1].Fingerprint != fp(seed2) || !kl.Keys[1].Active {
		t.Fatalf("after rotation %+v", kl)
	}
	second := cashGift(t, "rcpt-rotate", "rot-2", donorGift("400.00", "general", "Karim", "01911000001"))
	waitReceipted(t, second)
	if v := verify(t, second); v["valid"] != true || v["keyFingerprint"] != fp(seed2) {
		t.Fatalf("second receipt %v", v)
	}
	if v := verify(t, first); v["valid"] != true {
		t.Fatalf("receipt signed before rotation no longer verifies: %v", v)
	}

	// A unit registered without a key gets a generated one.
	if r := do(t, "PUT", "/api/v1/admin/units/rcpt-nokey", unitBody("Magura Sadar Hospital", "মাগুরা সদর হাসপাতাল"), admin); r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	do(t, "PUT", "/api/v1/admin/units/rcpt-nokey", unitBody("Magura Sadar Hospital", "মাগুরা সদর হাসপাতাল"), admin)
	if kl := unitKeys(t, "rcpt-nokey"); len(kl.Keys) != 1 || !kl.Keys[0].Active {
		t.Fatalf("generated keys %+v", kl)
	}
}

// TestReceiptsUnderRacingIssuersAndCrashes races extra receipt issuers
// (as replicas during a rebalance would) against the platform's own worker,
// redelivers events, and replays the crash window of a worker killed
// between the receipt insert and its index insert: every gift still ends
// with exactly one receipt, and the unit's serials run 1..n without a gap.
func TestReceiptsUnderRacingIssuersAndCrashes(t *testing.T) {
	const unit, n = "rcpt-race", 40
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, unitBody("Narail Sadar Hospital", "নড়াইল সদর হাসপাতাল"), token(t, "platform_admin", "")); r.Status != 201 && r.Status != 200 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	sealKey, err := signing.ParseSealKey(stack.Config.SealKey)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := signing.NewSealer(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	issuer := func() *app.ReceiptIssuer {
		return &app.ReceiptIssuer{Receipts: stack.Store.Receipts(), Units: stack.Store.Units(), Now: time.Now, Donations: stack.Store.Donations(),
			Keys: &app.UnitKeys{Store: stack.Store.UnitKeys(), Sealer: sealer, Now: time.Now}, DonorRef: sealer.DonorRef}
	}
	ctx := context.Background()
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		id := cashGift(t, unit, fmt.Sprintf("race-%d", i), donorGift(fmt.Sprintf("%d.00", 100+i), "sadaqah", "Race Donor", "01711000099"))
		ids[i] = id
		var d *donations.Donation
		eventually(t, "donation "+id, func() bool {
			d, err = stack.Store.Donations().Get(ctx, id)
			return err == nil
		})
		ev, err := events.New(donations.PaidEventID(id), events.DonationPaid, unit, d.PaidAt, donations.PaidPayload{
			Donation: id, Amount: d.Amount, Kind: d.Kind, Programme: d.Programme, Method: d.Method, TrxID: d.TrxID, PaidAt: d.PaidAt})
		if err != nil {
			t.Fatal(err)
		}
		// Three more issuers race the platform's worker for this gift.
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := handleRetrying(ctx, issuer(), ev); err != nil {
					t.Errorf("issue %s: %v", id, err)
				}
			}()
		}
	}
	wg.Wait()
	for _, id := range ids {
		waitReceipted(t, id)
	}
	// A worker killed between the receipt insert and the index insert
	// leaves a receipt without its index entry; the redelivered event must
	// find that receipt, not take another serial.
	index := stack.Store.Database().Collection("receipt_index")
	for _, id := range ids[:5] {
		before := receiptDoc(t, id)["serial"]
		if _, err := index.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
			t.Fatal(err)
		}
		d, err := stack.Store.Donations().Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := events.New(donations.PaidEventID(id), events.DonationPaid, unit, d.PaidAt, donations.PaidPayload{
			Donation: id, Amount: d.Amount, Kind: d.Kind, Method: d.Method, PaidAt: d.PaidAt})
		for range 2 { // and once more, as a plain redelivery
			if err := handleRetrying(ctx, issuer(), ev); err != nil {
				t.Fatal(err)
			}
		}
		if after := do(t, "GET", "/api/v1/receipts/"+id, nil, nil).JSON(t)["serial"]; after != before {
			t.Fatalf("redelivery after a crash: serial %v, was %v", after, before)
		}
	}
	cur, err := stack.Store.Database().Collection("receipts").Find(ctx, bson.M{"unit": unit})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		Donation string `bson:"donation"`
		Seq      int64  `bson:"seq"`
		FY       string `bson:"fy"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != n {
		t.Fatalf("%d receipts for %d gifts", len(docs), n)
	}
	seen := map[string]bool{}
	var seqs []int64
	for _, d := range docs {
		if seen[d.Donation] {
			t.Fatalf("donation %s receipted twice", d.Donation)
		}
		seen[d.Donation] = true
		seqs = append(seqs, d.Seq)
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("serials have a gap or duplicate: %v", seqs)
		}
	}
	for _, id := range ids {
		if v := verify(t, id); v["valid"] != true {
			t.Fatalf("receipt %s: %v", id, v)
		}
	}
}

// handleRetrying retries like the consumer's retry middleware: SQLite-backed
// FerretDB answers "database is locked" now and then under this much
// concurrent writing.
func handleRetrying(ctx context.Context, h *app.ReceiptIssuer, ev events.Envelope) error {
	var err error
	for try := 0; try < 50; try++ {
		if err = h.Handle(ctx, ev); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

func TestAnnualStatement(t *testing.T) {
	const phone = "01819000001"
	fy := receipts.FiscalYear(time.Now())
	a := cashGift(t, "dh-cumilla", "stmt-1", donorGift("1200.00", "zakat", "Salma Khatun", phone))
	b := cashGift(t, "dmch", "stmt-2", donorGift("300.50", "general", "Salma Khatun", phone))
	waitReceipted(t, a)
	waitReceipted(t, b)
	serials := []string{do(t, "GET", "/api/v1/receipts/"+a, nil, nil).JSON(t)["serial"].(string), do(t, "GET", "/api/v1/receipts/"+b, nil, nil).JSON(t)["serial"].(string)}
	// Half of the dmch gift is refunded: the statement counts only what stays.
	refund := do(t, "POST", "/api/v1/donations/"+b+"/refunds", map[string]any{"amount": "100.50", "reason": "gave twice"},
		map[string]string{"Idempotency-Key": "stmt-r1", "Authorization": token(t, "unit_admin", "dmch")["Authorization"]})
	if refund.Status != 201 {
		t.Fatalf("refund: %d %s", refund.Status, refund.Body)
	}
	eventually(t, "cancellation note issued", func() bool {
		ns, _ := do(t, "GET", "/api/v1/receipts/"+b, nil, nil).JSON(t)["cancellations"].([]any)
		return len(ns) == 1
	})

	problemOf(t, do(t, "POST", "/api/v1/statements", map[string]any{"phone": "123", "fiscalYear": fy}, nil), 422, "phone")
	problemOf(t, do(t, "POST", "/api/v1/statements", map[string]any{"phone": phone, "fiscalYear": "2025-27"}, nil), 422, "fiscalYear")

	before := len(notifications(t))
	// A number that never gave gets the same answer, and no message.
	if r := do(t, "POST", "/api/v1/statements", map[string]any{"phone": "01819000002", "fiscalYear": fy}, nil); r.Status != 202 {
		t.Fatalf("unknown number: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", "/api/v1/statements", map[string]any{"phone": "+880 1819-000001", "fiscalYear": fy}, nil); r.Status != 202 {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	var link string
	for _, l := range notifications(t)[before:] {
		if l.To == "01819000002" {
			t.Fatal("a number without gifts was sent a statement link")
		}
		if l.Kind == "statement-link" && l.To == phone {
			link = regexp.MustCompile(`https?://\S+/s/\S+`).FindString(l.Text)
		}
	}
	if link == "" {
		t.Fatal("no statement link in the notification file")
	}
	pdf := do(t, "GET", link, nil, nil)
	if pdf.Status != 200 || pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("statement: %d %s", pdf.Status, pdf.Body)
	}
	text := pdfText(t, pdf.Body)
	// 1,200.00 zakat + (300.50 - 100.50) general.
	for _, want := range append(serials, "Salma Khatun", "কুমিল্লা জেনারেল হাসপাতাল রোগীকল্যাণ সমিতি", "refunded Tk 100.50", "Tk 1,400.00") {
		if !strings.Contains(text, want) {
			t.Errorf("statement lacks %q:\n%s", want, text)
		}
	}

	// Forged or altered links open nothing.
	problemOf(t, do(t, "GET", link[:len(link)-3]+"AAA", nil, nil), 404, "")
	problemOf(t, do(t, "GET", "/s/nonsense", nil, nil), 404, "")

	// Staff at the counter, with the donor there to read out the code.
	problemOf(t, do(t, "POST", "/api/v1/staff/statements", map[string]any{"phone": phone, "fiscalYear": fy}, nil), 401, "")
	staff := counterStatement(t, token(t, "social_worker", "dmch"), phone, fy)
	if staff.Status != 200 || !strings.Contains(pdfText(t, staff.Body), serials[0]) {
		t.Fatalf("counter statement: %d", staff.Status)
	}

	// Per-number rate limit (3 an hour; at most two windows in this loop).
	limited := false
	for i := 0; i < 7 && !limited; i++ {
		r := do(t, "POST", "/api/v1/statements", map[string]any{"phone": phone, "fiscalYear": fy}, nil)
		limited = r.Status == 429
		if limited {
			problemOf(t, r, 429, "")
		}
	}
	if !limited {
		t.Fatal("statement requests are not rate-limited")
	}
}

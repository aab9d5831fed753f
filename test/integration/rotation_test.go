package integration

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	moneyverify "github.com/kalyan-platform/kalyan/internal/verify"
)

// TestSealKeyRotationUnderLoad rotates the seal key of a running platform (API and workers re-reading
// the ring from its file, as from a mounted Secret) while donors give, receipts are issued and refunds
// are paid out, following docs/runbooks/seal-key-rotation.md: add the new key as pending, promote it,
// run the reseal, remove the old key. No gift, receipt or refund may fail at any point; data sealed
// under the single key of before (including a value in the pre-ring format) keeps opening; afterwards
// everything is under the new key alone, and a second reseal has nothing left to do.
func TestSealKeyRotationUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a platform of its own")
	}
	ctx := context.Background()
	dir := t.TempDir()
	ring := filepath.Join(dir, "seal-keys")
	k1, k2 := signing.NewSealKey(), signing.NewSealKey()
	writeRing := func(lines ...string) {
		t.Helper()
		// As the kubelet updates a mounted Secret: a new file swapped in whole.
		tmp := ring + ".new"
		if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, ring); err != nil {
			t.Fatal(err)
		}
	}
	writeRing(k1)
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.WorkerAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HTTP.RateLimit = 1_000_000
	cfg.SealKeyFile, cfg.SealKeyReload = ring, 20*time.Millisecond
	st, err := devstack.Start(ctx, devstack.Options{Dir: filepath.Join(dir, "stack"), Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	p := &platformClient{t: t, st: st, hc: &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	// A unit whose signing key is stored as the single-key sealer of before stored it (no key header).
	const legacyUnit = "uhc-debidwar"
	plantLegacySeal(t, st, legacyUnit, k1)

	// The load: donors give at a unit with its own merchant (sealed credentials), at the legacy unit and
	// at one on the platform's merchant; every gift must be receipted, every fourth is partly refunded.
	loadUnits := []string{"dmch", legacyUnit, "dh-cumilla"}
	var (
		stop               atomic.Bool
		gifts, refunds     atomic.Int64
		failMu             sync.Mutex
		failures           []string
		wg                 sync.WaitGroup
		receiptedBeforeKey []string
	)
	fail := func(msg string) {
		failMu.Lock()
		defer failMu.Unlock()
		failures = append(failures, msg)
	}
	for w := range 3 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				unit := loadUnits[(w+i)%len(loadUnits)]
				key := fmt.Sprintf("rot-%d-%d", w, i)
				id, err := p.payGift(unit, "400.00", key)
				if err != nil {
					fail(err.Error())
					continue
				}
				gifts.Add(1)
				if i%4 == 3 {
					if err := p.refund(unit, id, "50.00", key+"-refund"); err != nil {
						fail(err.Error())
						continue
					}
					refunds.Add(1)
				}
			}
		})
	}
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
	progress := func(what string, n int64) {
		t.Helper()
		target := gifts.Load() + n
		// The deadline only bounds a hang (the race detector on a busy machine is slow).
		deadline := time.Now().Add(5 * time.Minute)
		for gifts.Load() < target {
			if time.Now().After(deadline) {
				failMu.Lock()
				defer failMu.Unlock()
				t.Fatalf("the load stalled %s (%d gifts; failures: %v)", what, gifts.Load(), failures)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	progress("before the rotation", 4)
	// A donor who gave only before the rotation: their statement must still be found after it.
	const earlyDonor = "01812345670"
	earlyID, err := p.payGiftFrom("dmch", "250.00", "rot-early", earlyDonor)
	if err != nil {
		t.Fatal(err)
	}
	receiptedBeforeKey = p.receiptIDs()
	// 1. The new key joins every replica's ring, opening only.
	writeRing(k1, "pending:"+k2)
	progress("with the new key pending", 3)
	// 2. The new key seals.
	writeRing(k1, k2)
	progress("with the new key active", 3)
	// A retry of a gift made under the old key finds it: the Idempotency-Key
	// still names one gift, not a second one under the new key's ID.
	retry := gift("250.00", "general")
	retry["donor"].(map[string]any)["phone"] = earlyDonor
	if code, _, body, err := p.call("POST", "/api/v1/units/dmch/donations", retry, map[string]string{"Idempotency-Key": "rot-early"}); err != nil || code != 200 || !strings.Contains(string(body), earlyID) {
		t.Errorf("retry across the rotation: %d %s %v (want 200 and %s)", code, body, err, earlyID)
	}
	// 3. Everything at rest is re-sealed under it, under load; interrupted once and resumed.
	reseal := func(cancelAfter int) ([]app.ResealProgress, error) {
		s, err := signing.NewSealerFromFile(ring, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		r := &app.Reseal{Store: st.Store.Reseal(), Sealer: s, CheckpointEvery: 1,
			Progress: func(p app.ResealProgress) {
				if cancelAfter > 0 && p.Step == app.ResealUnitKeys && p.Seen >= cancelAfter {
					cancel()
				}
			}}
		return r.Run(rctx)
	}
	if _, err := reseal(2); err == nil {
		t.Fatal("the interrupted reseal reported success")
	}
	res, err := reseal(0)
	if err != nil {
		t.Fatalf("reseal: %v", err)
	}
	byStep := map[string]app.ResealProgress{}
	for _, r := range res {
		byStep[r.Step] = r
		if r.Failed != 0 || !r.Done {
			t.Errorf("reseal %s: %+v", r.Step, r)
		}
	}
	if uk := byStep[app.ResealUnitKeys]; uk.Resumed == "" || uk.Changed == 0 {
		t.Errorf("the second reseal did not resume the unit keys where the first stopped, or re-sealed none: %+v", uk)
	}
	if byStep[app.ResealMerchants].Changed == 0 || byStep[app.ResealDonorRefs].Changed == 0 {
		t.Errorf("nothing re-sealed or re-keyed: %+v", res)
	}
	progress("after the reseal", 3)
	// 4. The old key leaves the ring.
	writeRing(k2)
	progress("with the old key gone", 4)
	stop.Store(true)
	wg.Wait()

	if len(failures) > 0 {
		t.Fatalf("%d operations failed during the rotation (of %d gifts, %d refunds):\n%s", len(failures), gifts.Load(), refunds.Load(), strings.Join(failures, "\n"))
	}
	t.Logf("rotation under load: %d gifts receipted, %d refunds, no failure", gifts.Load(), refunds.Load())

	// Everything at rest opens with the new key alone, from a fresh process's point of view.
	only2, err := signing.NewSealer(sealKeyBytes(t, k2))
	if err != nil {
		t.Fatal(err)
	}
	id2 := only2.ID()
	store := st.Store.Reseal()
	nKeys, nMerchants, nRefs := 0, 0, 0
	if err := store.UnitKeys(ctx, "", func(k signing.UnitKey) error {
		nKeys++
		if k.SealKeyID != id2 || signing.SealedKeyID(k.Sealed) != id2 {
			t.Errorf("unit key %s is under %s/%s, not %s", k.Ref(), k.SealKeyID, signing.SealedKeyID(k.Sealed), id2)
		}
		fresh := &app.UnitKeys{Store: st.Store.UnitKeys(), Sealer: only2, Now: time.Now}
		if _, err := fresh.Active(ctx, k.Unit); err != nil {
			t.Errorf("unit %s's key does not open with the new key alone: %v", k.Unit, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.Merchants(ctx, "", func(m signing.SealedMerchant) error {
		nMerchants++
		fresh := &app.Merchants{Store: st.Store.Merchants(), Sealer: only2, Now: time.Now}
		if _, _, err := fresh.Open(ctx, m.ID); err != nil || m.SealKeyID != id2 {
			t.Errorf("merchant %s (under %s) does not open with the new key alone: %v", m.ID, m.SealKeyID, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ref2, _ := only2.DonorRef("01712345678")
	early2, _ := only2.DonorRef(earlyDonor)
	if err := store.DonorRefs(ctx, "", func(key, _, ref string) error {
		nRefs++
		if ref != ref2 && ref != early2 {
			t.Errorf("receipt %s keeps a donor reference of the old key", key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A public statement request finds the donor by the new reference alone
	// (its mark was re-keyed with the receipts).
	if given, err := st.Store.Receipts().HasGiven(ctx, early2, receipts.FiscalYear(time.Now())); err != nil || !given {
		t.Errorf("after the reseal the donor's statement mark is not found under the new key: %v %v", given, err)
	}
	if nKeys < 3 || nMerchants < 1 || nRefs < int(gifts.Load()) {
		t.Errorf("checked %d unit keys, %d merchants, %d donor references for %d gifts", nKeys, nMerchants, nRefs, gifts.Load())
	}
	// Receipts issued before the rotation still verify.
	for _, id := range receiptedBeforeKey {
		if r := p.get("/api/v1/receipts/" + id); r["valid"] != true {
			t.Errorf("receipt %s issued before the rotation no longer verifies: %v", id, r)
		}
	}

	// A second reseal finds nothing to do.
	again, err := reseal(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Changed != 0 || r.Current != r.Seen {
			t.Errorf("second reseal %s changed something: %+v", r.Step, r)
		}
	}

	// And the money adds up.
	settle := &moneyverify.Settlement{Platform: st.Config.BKash.Username, Totals: func(_ context.Context, merchant string) (money.Amount, money.Amount, error) {
		s := st.Sandbox.Settlement(merchant)
		return s.CompletedTotal, s.RefundedTotal, nil
	}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		rep, err := moneyverify.Run(ctx, st.Store.Audit(), settle)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify after the rotation: %v", rep.Violations)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// plantLegacySeal re-stores unit's active signing key sealed as before key rings: AES-256-GCM under
// HMAC-SHA256(key, "kalyan/seal/v1"), nonce||ciphertext, no header (the code of before, written out).
func plantLegacySeal(t *testing.T, st *devstack.Stack, unit, key string) {
	t.Helper()
	ctx := context.Background()
	s, err := signing.NewSealer(sealKeyBytes(t, key))
	if err != nil {
		t.Fatal(err)
	}
	keys := &app.UnitKeys{Store: st.Store.UnitKeys(), Sealer: s, Now: time.Now}
	fp, err := keys.Ensure(ctx, unit)
	if err != nil {
		t.Fatal(err)
	}
	uk, err := st.Store.UnitKeys().GetKey(ctx, unit, fp)
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("kalyan/unit-key/v1\x00" + uk.Ref())
	seed, err := s.Open(uk.Sealed, aad)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, sealKeyBytes(t, key))
	m.Write([]byte("kalyan/seal/v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	legacy := gcm.Seal(nonce, nonce, seed, aad)
	if signing.SealedKeyID(legacy) != "" {
		t.Fatal("the planted value has a key header")
	}
	res, err := st.Store.Database().Collection("unit_keys").UpdateOne(ctx, bson.D{{Key: "_id", Value: uk.Ref()}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "sealed", Value: legacy}}}})
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("plant legacy seal: %+v %v", res, err)
	}
}

func sealKeyBytes(t *testing.T, enc string) []byte {
	t.Helper()
	k, err := signing.ParseSealKey(enc)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// platformClient drives a platform of its own as donors and unit admins do. Its methods return errors
// (they run on the load's goroutines).
type platformClient struct {
	t  *testing.T
	st *devstack.Stack
	hc *http.Client
}

func (p *platformClient) call(method, u string, body any, hdr map[string]string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	if strings.HasPrefix(u, "/") {
		u = p.st.APIURL() + u
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := p.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b, err
}

// payGift creates a bKash gift, pays it on the sandbox page and waits for its receipt.
func (p *platformClient) payGift(unit, amount, key string) (string, error) {
	return p.payGiftFrom(unit, amount, key, "01712345678")
}

// payGiftFrom gives as the donor with mobile phone.
func (p *platformClient) payGiftFrom(unit, amount, key, phone string) (string, error) {
	req := gift(amount, "general")
	req["donor"].(map[string]any)["phone"] = phone
	code, _, body, err := p.call("POST", "/api/v1/units/"+unit+"/donations", req, map[string]string{"Idempotency-Key": key})
	if err != nil || code != 201 {
		return "", fmt.Errorf("create gift %s at %s: %d %s %v", key, unit, code, body, err)
	}
	var d struct {
		ID         string `json:"id"`
		PaymentURL string `json:"paymentURL"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return "", err
	}
	res, err := p.hc.PostForm(d.PaymentURL, url.Values{"action": {"pay"}})
	if err != nil {
		return "", fmt.Errorf("pay %s: %w", d.ID, err)
	}
	res.Body.Close()
	if code, _, body, err := p.call("GET", res.Header.Get("Location"), nil, nil); err != nil || code != 303 {
		return "", fmt.Errorf("bKash callback of %s: %d %s %v", d.ID, code, body, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if got := p.get("/api/v1/donations/" + d.ID); got["status"] == "receipted" {
			return d.ID, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("gift %s at %s was not receipted", d.ID, unit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *platformClient) refund(unit, id, amount, key string) error {
	tok, err := p.st.Token("unit_admin", unit, "rotation-test")
	if err != nil {
		return err
	}
	code, _, body, err := p.call("POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": amount, "reason": "donor asked"},
		map[string]string{"Idempotency-Key": key, "Authorization": "Bearer " + tok})
	if err != nil || code != 201 || !bytes.Contains(body, []byte(`"completed"`)) {
		return fmt.Errorf("refund %s of %s: %d %s %v", amount, id, code, body, err)
	}
	return nil
}

func (p *platformClient) get(path string) map[string]any {
	code, _, body, err := p.call("GET", path, nil, nil)
	var m map[string]any
	if err != nil || code != 200 || json.Unmarshal(body, &m) != nil {
		return map[string]any{"error": fmt.Sprintf("GET %s: %d %s %v", path, code, body, err)}
	}
	return m
}

// receiptIDs lists the receipts issued so far (their IDs in the public API).
func (p *platformClient) receiptIDs() []string {
	var ids []string
	cur, err := p.st.Store.Database().Collection("receipts").Find(context.Background(), bson.D{})
	if err != nil {
		p.t.Fatal(err)
	}
	var docs []struct {
		Donation string `bson:"donation"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		p.t.Fatal(err)
	}
	for _, d := range docs {
		r := p.get("/api/v1/donations/" + d.Donation)
		if rc, ok := r["receipt"].(map[string]any); ok {
			if id, ok := rc["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

package bkash_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
)

func sandboxMerchants(t *testing.T, now func() time.Time, ms ...bkashsandbox.Credentials) (*bkashsandbox.Server, string) {
	t.Helper()
	sb, err := bkashsandbox.New(bkashsandbox.Config{Merchants: ms, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { sb.Close(); ts.Close() })
	return sb, ts.URL + "/v1.2.0-beta"
}

func TestMerchantsKeepOneTokenPerMerchant(t *testing.T) {
	a := bkashsandbox.Credentials{Username: "rks-a", Password: "pa", AppKey: "ka", AppSecret: "sa"}
	b := bkashsandbox.Credentials{Username: "rks-b", Password: "pb", AppKey: "kb", AppSecret: "sb"}
	// The sandbox's clock: bKash refuses a third grant of one merchant within
	// an hour, and this test grants rks-a three times.
	clk := newClock()
	sb, base := sandboxMerchants(t, clk.Now, a, b)
	ms := bkash.NewMerchants(bkash.Config{BaseURL: base}, 0)
	cred := func(m bkashsandbox.Credentials) bkash.Credentials {
		return bkash.Credentials{Username: m.Username, Password: m.Password, AppKey: m.AppKey, AppSecret: m.AppSecret}
	}
	ctx := context.Background()
	create := func(c *bkash.Client, inv string) *bkash.Payment {
		t.Helper()
		p, err := c.Create(ctx, bkash.CreateRequest{Amount: 100, Invoice: inv, CallbackURL: "http://127.0.0.1/cb"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Concurrent first calls for two merchants: one grant each.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := a
			if i%2 == 1 {
				m = b
			}
			create(ms.Client(m.Username, cred(m)), fmt.Sprintf("C-%d", i))
		}()
	}
	wg.Wait()
	if g := sb.Stats().Grants; g != 2 {
		t.Fatalf("%d grants for two merchants, want 2", g)
	}
	if first, again := ms.Client("rks-a", cred(a)), ms.Client("rks-a", cred(a)); first != again || first == ms.Client("rks-b", cred(b)) {
		t.Fatal("one client per merchant")
	}
	// A payment belongs to its merchant: the other's token cannot query it.
	pa := create(ms.Client("rks-a", cred(a)), "A-1")
	if _, err := ms.Client("rks-b", cred(b)).Query(ctx, pa.PaymentID); !bkash.IsInvalidPaymentID(err) {
		t.Fatalf("query with the other merchant's token: %v", err)
	}

	// Rotation: bKash reissues a's password. The cached client for the old
	// credentials is replaced, so the next call grants with the new ones.
	a.Password = "pa-2"
	if err := sb.SetMerchant(a); err != nil {
		t.Fatal(err)
	}
	old := ms.Client("rks-a", bkash.Credentials{Username: "rks-a", Password: "pa", AppKey: "ka", AppSecret: "sa"})
	rotated := ms.Client("rks-a", cred(a))
	if rotated == old {
		t.Fatal("new credentials reuse the old client")
	}
	create(rotated, "A-2")
	if g := sb.Stats().Grants; g != 3 {
		t.Fatalf("%d grants after rotation, want 3", g)
	}
	// Drop forgets a merchant's token; its next grant, an hour later, is
	// within bKash's limit.
	clk.Advance(time.Hour)
	ms.Drop("rks-a")
	create(ms.Client("rks-a", cred(a)), "A-3")
	if g := sb.Stats().Grants; g != 4 {
		t.Fatalf("%d grants after drop, want 4", g)
	}
}

func TestMerchantsAreBounded(t *testing.T) {
	ms := bkash.NewMerchants(bkash.Config{BaseURL: "http://127.0.0.1:1/v1.2.0-beta"}, 3)
	cred := func(id string) bkash.Credentials {
		return bkash.Credentials{Username: id, Password: "p", AppKey: "k", AppSecret: "s"}
	}
	first := ms.Client("m0", cred("m0"))
	for i := 1; i <= 3; i++ {
		ms.Client(fmt.Sprintf("m%d", i), cred(fmt.Sprintf("m%d", i)))
	}
	if ms.Len() != 3 {
		t.Fatalf("%d cached, want at most 3", ms.Len())
	}
	// m0 was least recently used and went; m3 stays.
	if ms.Client("m0", cred("m0")) == first {
		t.Fatal("evicted merchant kept its client")
	}
	m3 := ms.Client("m3", cred("m3"))
	if ms.Client("m3", cred("m3")) != m3 {
		t.Fatal("recent merchant lost its client")
	}
	// Safe under concurrent use (run with -race).
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprintf("m%d", (g+i)%7)
				ms.Client(id, cred(id))
				if i%17 == 0 {
					ms.Drop(id)
				}
			}
		}()
	}
	wg.Wait()
	if ms.Len() > 3 {
		t.Fatalf("%d cached after concurrent use, want at most 3", ms.Len())
	}
}

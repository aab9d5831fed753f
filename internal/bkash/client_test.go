package bkash_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// clock is a settable time source shared by client and sandbox.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var merchant = bkashsandbox.Credentials{
	Username: "rks-dmch", Password: "pw-1", AppKey: "app-key-1", AppSecret: "app-secret-1", Name: "Dhaka Medical College Hospital RKS",
}

func credOf(m bkashsandbox.Credentials) bkash.Credentials {
	return bkash.Credentials{Username: m.Username, Password: m.Password, AppKey: m.AppKey, AppSecret: m.AppSecret}
}

type env struct {
	t        *testing.T
	sb       *bkashsandbox.Server
	ts       *httptest.Server
	clock    *clock // sandbox clock
	cclock   *clock // client clock
	client   *bkash.Client
	callback string
}

type envOpt func(*bkashsandbox.Config, *bkash.Config)

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), cclock: newClock()}
	sc := bkashsandbox.Config{Merchants: []bkashsandbox.Credentials{merchant}, Now: e.clock.Now}
	cc := bkash.Config{Now: e.cclock.Now}
	for _, o := range opts {
		o(&sc, &cc)
	}
	sb, err := bkashsandbox.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	e.sb = sb
	e.ts = httptest.NewServer(sb.Handler())
	t.Cleanup(func() {
		sb.Close()
		e.ts.Close()
	})
	cc.BaseURL = e.ts.URL + "/v1.2.0-beta"
	e.client = bkash.New(cc, credOf(merchant))
	e.callback = "https://kalyan.test/donate/callback?unit=dmch"
	return e
}

func withDataDir(dir string) envOpt {
	return func(sc *bkashsandbox.Config, _ *bkash.Config) { sc.DataDir = dir }
}

func withClientTimeout(d time.Duration) envOpt {
	return func(_ *bkashsandbox.Config, cc *bkash.Config) { cc.Timeout = d }
}

func (e *env) create(amount money.Amount, invoice string) *bkash.Payment {
	e.t.Helper()
	p, err := e.client.Create(context.Background(), bkash.CreateRequest{
		Amount: amount, Invoice: invoice, PayerReference: "donor-ref", CallbackURL: e.callback,
	})
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return p
}

// payer submits the payment page the way a browser does and returns where
// the sandbox redirected it.
func (e *env) payer(bkashURL, action, wallet string) *url.URL {
	e.t.Helper()
	resp := e.postForm(bkashURL, url.Values{"action": {action}, "wallet": {wallet}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("payer %s: HTTP %d, want 303", action, resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc
}

func (e *env) postForm(target string, form url.Values) *http.Response {
	e.t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(target, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// paid creates a payment, authorises it on the page and executes it.
func (e *env) paid(amount money.Amount, invoice string) *bkash.Payment {
	e.t.Helper()
	p := e.create(amount, invoice)
	e.payer(p.BkashURL, "pay", "")
	done, err := e.client.Execute(context.Background(), p.PaymentID)
	if err != nil {
		e.t.Fatalf("execute: %v", err)
	}
	return done
}

func TestPayFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(money.Taka(500), "DON-1")
	if p.Status != bkash.StatusInitiated || p.Amount != money.Taka(500) || !strings.HasPrefix(p.BkashURL, e.ts.URL+"/redirect/tokenized/?paymentID="+p.PaymentID+"&hash=") {
		t.Fatalf("created %+v", p)
	}

	page, err := http.Get(p.BkashURL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Fatalf("page: HTTP %d", page.StatusCode)
	}

	loc := e.payer(p.BkashURL, "pay", "01812345678")
	q := loc.Query()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "https://kalyan.test/donate/callback" ||
		q.Get("unit") != "dmch" || q.Get("paymentID") != p.PaymentID || q.Get("status") != "success" {
		t.Fatalf("redirected to %s", loc)
	}

	done, err := e.client.Execute(ctx, p.PaymentID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != bkash.StatusCompleted || done.TrxID == "" || done.Amount != money.Taka(500) ||
		done.Invoice != "DON-1" || done.CustomerMSISDN != "01812345678" || done.ExecuteTime.IsZero() {
		t.Fatalf("executed %+v", done)
	}
	got, err := e.client.Query(ctx, p.PaymentID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != bkash.StatusCompleted || got.TrxID != done.TrxID || got.Invoice != "DON-1" || got.VerificationStatus != "Complete" {
		t.Fatalf("queried %+v", got)
	}
	s := e.sb.Settlement(merchant.Username)
	if s.CompletedCount != 1 || s.CompletedTotal != money.Taka(500) || s.NetTotal != money.Taka(500) {
		t.Fatalf("settlement %+v", s)
	}
}

func TestCancelAndFail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		action, status string
		want           bkash.TransactionStatus
	}{
		{"cancel", "cancel", bkash.StatusCancelled},
		{"fail", "failure", bkash.StatusFailed},
	} {
		p := e.create(money.Taka(100), "DON-"+c.action)
		loc := e.payer(p.BkashURL, c.action, "")
		if loc.Query().Get("status") != c.status || loc.Query().Get("paymentID") != p.PaymentID {
			t.Errorf("%s: redirected to %s", c.action, loc)
		}
		_, err := e.client.Execute(ctx, p.PaymentID)
		if !bkash.IsInvalidPaymentState(err) {
			t.Errorf("%s: execute error %v, want invalid payment state", c.action, err)
		}
		got, err := e.client.Query(ctx, p.PaymentID)
		if err != nil || got.Status != c.want || got.TrxID != "" {
			t.Errorf("%s: query %+v, %v", c.action, got, err)
		}
	}
	if s := e.sb.Settlement(merchant.Username); s.CompletedCount != 0 {
		t.Errorf("settlement %+v", s)
	}
}

func TestExecuteBeforeAuthorisation(t *testing.T) {
	e := newEnv(t)
	p := e.create(money.Taka(50), "DON-2")
	_, err := e.client.Execute(context.Background(), p.PaymentID)
	var se *bkash.StatusError
	if !bkash.IsNotAuthorised(err) || !errors.As(err, &se) || se.Category() != bkash.CategoryState || errors.Is(err, bkash.ErrNoAnswer) {
		t.Fatalf("execute before authorisation: %v", err)
	}
	got, err := e.client.Query(context.Background(), p.PaymentID)
	if err != nil || got.Status != bkash.StatusInitiated || got.VerificationStatus != "Incomplete" {
		t.Fatalf("query: %+v, %v", got, err)
	}
	// The payer can still pay afterwards.
	e.payer(p.BkashURL, "pay", "")
	if done, err := e.client.Execute(context.Background(), p.PaymentID); err != nil || done.Status != bkash.StatusCompleted {
		t.Fatalf("execute after authorisation: %+v, %v", done, err)
	}
}

func TestDoubleExecute(t *testing.T) {
	e := newEnv(t)
	p := e.paid(money.Taka(75), "DON-3")
	_, err := e.client.Execute(context.Background(), p.PaymentID)
	if !bkash.IsAlreadyCompleted(err) {
		t.Fatalf("second execute: %v", err)
	}
	if s := e.sb.Settlement(merchant.Username); s.CompletedCount != 1 || s.CompletedTotal != money.Taka(75) {
		t.Fatalf("settlement %+v", s)
	}
}

func TestUnknownPayment(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.Query(context.Background(), "TR0011nothere1700000000000")
	if !bkash.IsInvalidPaymentID(err) {
		t.Fatalf("query unknown: %v", err)
	}
}

// shortCtx bounds a call that a timeout fault will hold: the client gives up
// as it would after its 30 s.
func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestExecuteTimeoutThenQuery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(money.Taka(1000), "DON-4")
	e.payer(p.BkashURL, "pay", "")
	if err := e.sb.SetFaults(bkashsandbox.Faults{Execute: bkashsandbox.FaultTimeout}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Execute(shortCtx(t), p.PaymentID)
	if !errors.Is(err, bkash.ErrNoAnswer) {
		t.Fatalf("execute with timeout fault: %v, want ErrNoAnswer", err)
	}
	if bkash.IsRetryable(err) {
		t.Error("ErrNoAnswer must not read as retryable: query first")
	}
	got, err := e.client.Query(ctx, p.PaymentID)
	if err != nil || got.Status != bkash.StatusCompleted || got.TrxID == "" {
		t.Fatalf("query after timeout: %+v, %v", got, err)
	}
	// A retry of execute learns it was already done.
	if err := e.sb.SetFaults(bkashsandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Execute(ctx, p.PaymentID); !bkash.IsAlreadyCompleted(err) {
		t.Fatalf("execute retry: %v", err)
	}
}

func TestConfigTimeoutBoundsEveryCall(t *testing.T) {
	e := newEnv(t, withClientTimeout(300*time.Millisecond))
	if err := e.sb.SetFaults(bkashsandbox.Faults{Grant: bkashsandbox.FaultTimeout, Create: bkashsandbox.FaultTimeout}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Create(context.Background(), bkash.CreateRequest{Amount: 100, Invoice: "DON-T", CallbackURL: e.callback})
	if !errors.Is(err, bkash.ErrNoAnswer) {
		t.Fatalf("create against a silent sandbox: %v, want ErrNoAnswer", err)
	}
}

func putJSON(t *testing.T, target, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestPerPaymentFaults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	broke := e.create(money.Taka(2000), "DON-5")
	fine := e.create(money.Taka(10), "DON-6")
	e.payer(broke.BkashURL, "pay", "")
	e.payer(fine.BkashURL, "pay", "")
	if r := putJSON(t, e.ts.URL+"/sandbox/payments/"+broke.PaymentID+"/faults", `{"execute":"insufficient_balance"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("PUT payment faults: HTTP %d", r.StatusCode)
	}
	_, err := e.client.Execute(ctx, broke.PaymentID)
	var se *bkash.StatusError
	if !bkash.IsInsufficientBalance(err) || !errors.As(err, &se) || se.Category() != bkash.CategoryPayer || se.Retryable() {
		t.Fatalf("execute with insufficient balance: %v", err)
	}
	if got, err := e.client.Query(ctx, broke.PaymentID); err != nil || got.Status != bkash.StatusFailed {
		t.Fatalf("query: %+v, %v", got, err)
	}
	if done, err := e.client.Execute(ctx, fine.PaymentID); err != nil || done.Status != bkash.StatusCompleted {
		t.Fatalf("unfaulted payment: %+v, %v", done, err)
	}

	// cancel: the payer cancelled while the merchant was executing.
	p := e.create(money.Taka(10), "DON-7")
	e.payer(p.BkashURL, "pay", "")
	if err := e.sb.SetPaymentFaults(p.PaymentID, bkashsandbox.Faults{Execute: bkashsandbox.FaultCancel}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Execute(ctx, p.PaymentID); !bkash.IsInvalidPaymentState(err) {
		t.Fatalf("execute with cancel fault: %v", err)
	}
	if got, _ := e.client.Query(ctx, p.PaymentID); got == nil || got.Status != bkash.StatusCancelled {
		t.Fatalf("query after cancel: %+v", got)
	}

	// fail: bKash's "Process failed".
	p = e.create(money.Taka(10), "DON-8")
	e.payer(p.BkashURL, "pay", "")
	if err := e.sb.SetPaymentFaults(p.PaymentID, bkashsandbox.Faults{Execute: bkashsandbox.FaultFail}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Execute(ctx, p.PaymentID); !hasCode(err, bkash.CodeProcessFailed) || !bkash.IsRetryable(err) {
		t.Fatalf("execute with fail fault: %v", err)
	}
}

func hasCode(err error, code string) bool {
	var se *bkash.StatusError
	return errors.As(err, &se) && se.Code == code
}

func TestNoAnswerFaults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(money.Taka(10), "DON-9")
	e.payer(p.BkashURL, "pay", "")

	// unavailable: nothing happens, answer is a 503.
	if err := e.sb.SetFaults(bkashsandbox.Faults{Execute: bkashsandbox.FaultUnavailable}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Execute(ctx, p.PaymentID); !errors.Is(err, bkash.ErrNoAnswer) {
		t.Fatalf("unavailable: %v", err)
	}
	if got, _ := e.client.Query(ctx, p.PaymentID); got == nil || got.Status != bkash.StatusInitiated {
		t.Fatalf("after unavailable: %+v", got)
	}

	// malformed: it happens, but the answer is garbage.
	if err := e.sb.SetFaults(bkashsandbox.Faults{Execute: bkashsandbox.FaultMalformed}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Execute(ctx, p.PaymentID); !errors.Is(err, bkash.ErrNoAnswer) {
		t.Fatalf("malformed: %v", err)
	}
	if got, _ := e.client.Query(ctx, p.PaymentID); got == nil || got.Status != bkash.StatusCompleted {
		t.Fatalf("after malformed: %+v", got)
	}

	// A failing create yields no payment at all.
	if err := e.sb.SetFaults(bkashsandbox.Faults{Create: bkashsandbox.FaultUnavailable}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Create(ctx, bkash.CreateRequest{Amount: 100, Invoice: "DON-10", CallbackURL: e.callback})
	if !errors.Is(err, bkash.ErrNoAnswer) {
		t.Fatalf("create unavailable: %v", err)
	}
	if n := len(e.sb.Payments(merchant.Username)); n != 1 {
		t.Fatalf("%d payments, want 1", n)
	}
}

func TestRefunds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.paid(money.Taka(1000), "DON-11")

	r, err := e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(300), Reason: "donor asked"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != bkash.StatusCompleted || r.RefundTrxID == "" || r.Amount != money.Taka(300) ||
		r.OriginalAmount != money.Taka(1000) || r.OriginalTrxID != p.TrxID || r.PaymentID != p.PaymentID {
		t.Fatalf("partial refund %+v", r)
	}
	_, err = e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(701)})
	if !bkash.IsRefundTooLarge(err) {
		t.Fatalf("over-refund: %v", err)
	}
	r2, err := e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(700)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: 1})
	if !bkash.IsNotRefundable(err) {
		t.Fatalf("refund after full refund: %v", err)
	}

	st, err := e.client.RefundStatus(ctx, p.PaymentID, p.TrxID)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Transactions) != 2 || st.Refunded != money.Taka(1000) || st.RefundTrxID != r2.RefundTrxID ||
		st.OriginalAmount != money.Taka(1000) || st.OriginalCompletedTime.IsZero() {
		t.Fatalf("refund status %+v", st)
	}
	if s := e.sb.Settlement(merchant.Username); s.RefundedTotal != money.Taka(1000) || s.RefundCount != 2 || s.NetTotal != 0 {
		t.Fatalf("settlement %+v", s)
	}

	// Wrong trxID, and a payment that never completed.
	_, err = e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: "WRONGTRX01", Amount: 1})
	if !hasCode(err, bkash.CodeInvalidTrxID) {
		t.Fatalf("wrong trxID: %v", err)
	}
	open := e.create(money.Taka(10), "DON-12")
	_, err = e.client.Refund(ctx, bkash.RefundRequest{PaymentID: open.PaymentID, TrxID: "X", Amount: 1})
	if !bkash.IsNotRefundable(err) {
		t.Fatalf("refund of an initiated payment: %v", err)
	}
}

func TestRefundLimitAndWindow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.paid(money.Taka(100), "DON-13")
	for i := 0; i < 10; i++ {
		if _, err := e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(1)}); err != nil {
			t.Fatalf("refund %d: %v", i+1, err)
		}
	}
	_, err := e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(1)})
	if !bkash.IsNotRefundable(err) {
		t.Fatalf("11th refund: %v", err)
	}

	q := e.paid(money.Taka(100), "DON-14")
	e.clock.Advance(61 * 24 * time.Hour)
	e.cclock.Advance(61 * 24 * time.Hour)
	_, err = e.client.Refund(ctx, bkash.RefundRequest{PaymentID: q.PaymentID, TrxID: q.TrxID, Amount: money.Taka(1)})
	if !bkash.IsNotRefundable(err) {
		t.Fatalf("refund after the window: %v", err)
	}
}

func TestRefundTimeoutThenStatus(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.paid(money.Taka(100), "DON-15")
	if err := e.sb.SetPaymentFaults(p.PaymentID, bkashsandbox.Faults{Refund: bkashsandbox.FaultTimeout}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Refund(shortCtx(t), bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(40)})
	if !errors.Is(err, bkash.ErrNoAnswer) {
		t.Fatalf("refund with timeout fault: %v", err)
	}
	st, err := e.client.RefundStatus(ctx, p.PaymentID, p.TrxID)
	if err != nil || len(st.Transactions) != 1 || st.Refunded != money.Taka(40) {
		t.Fatalf("refund status: %+v, %v", st, err)
	}
	if err := e.sb.SetPaymentFaults(p.PaymentID, bkashsandbox.Faults{Refund: bkashsandbox.FaultInsufficientBalance}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(1)})
	if !bkash.IsInsufficientBalance(err) {
		t.Fatalf("refund with insufficient merchant balance: %v", err)
	}
}

func TestTokenGrantedOnceForConcurrentCalls(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := e.client.Create(ctx, bkash.CreateRequest{Amount: money.Taka(int64(i + 1)), Invoice: fmt.Sprintf("C-%d", i), CallbackURL: e.callback})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := e.sb.Stats(); st.Grants != 1 || st.Refreshes != 0 || st.Creates != 40 {
		t.Fatalf("stats %+v, want one grant for 40 calls", st)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(money.Taka(10), "DON-16")
	// Within the hour but inside the renewal margin: refresh, not grant.
	e.clock.Advance(58 * time.Minute)
	e.cclock.Advance(58 * time.Minute)
	if _, err := e.client.Query(ctx, p.PaymentID); err != nil {
		t.Fatal(err)
	}
	if st := e.sb.Stats(); st.Grants != 1 || st.Refreshes != 1 || st.Unauthorized != 0 {
		t.Fatalf("after 58 min: %+v", st)
	}
	// The refreshed token is cached too.
	for i := 0; i < 5; i++ {
		if _, err := e.client.Query(ctx, p.PaymentID); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.sb.Stats(); st.Grants != 1 || st.Refreshes != 1 {
		t.Fatalf("after more calls: %+v", st)
	}
}

func TestRefusedTokenIsReplacedOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(money.Taka(10), "DON-17")
	// The sandbox's clock runs ahead: it considers the client's cached
	// token expired while the client does not.
	e.clock.Advance(61 * time.Minute)
	got, err := e.client.Query(ctx, p.PaymentID)
	if err != nil || got.PaymentID != p.PaymentID {
		t.Fatalf("query with a refused token: %+v, %v", got, err)
	}
	if st := e.sb.Stats(); st.Grants != 2 || st.Unauthorized != 1 {
		t.Fatalf("stats %+v, want a second grant after one 401", st)
	}
}

func TestRefreshFailureFallsBackToGrant(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(money.Taka(10), "DON-18")
	if err := e.sb.SetFaults(bkashsandbox.Faults{Refresh: bkashsandbox.FaultFail}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(58 * time.Minute)
	e.cclock.Advance(58 * time.Minute)
	if _, err := e.client.Query(ctx, p.PaymentID); err != nil {
		t.Fatal(err)
	}
	if st := e.sb.Stats(); st.Grants != 2 || st.Refreshes != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWrongCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for name, cred := range map[string]bkash.Credentials{
		"user":     {Username: "nobody", Password: "pw-1", AppKey: merchant.AppKey, AppSecret: merchant.AppSecret},
		"password": {Username: merchant.Username, Password: "wrong", AppKey: merchant.AppKey, AppSecret: merchant.AppSecret},
		"app key":  {Username: merchant.Username, Password: merchant.Password, AppKey: "wrong", AppSecret: merchant.AppSecret},
	} {
		c := bkash.New(bkash.Config{BaseURL: e.ts.URL + "/v1.2.0-beta"}, cred)
		_, err := c.Query(ctx, "TR0011x")
		// A wrong app key is 2001, a refusal; the sandbox answers an unknown
		// user or a wrong password 9999, which bKash also answers when it
		// fails ("System Error"): never read as wrong credentials.
		if name == "app key" && (!bkash.IsAuth(err) || errors.Is(err, bkash.ErrNoAnswer)) {
			t.Errorf("%s: %v, want an auth error", name, err)
		}
		if name != "app key" && (bkash.IsAuth(err) || !bkash.IsAmbiguousGrant(err)) {
			t.Errorf("%s: %v, want an ambiguous 9999, not an auth error", name, err)
		}
		if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "pw-1") {
			t.Errorf("%s: error reveals credentials: %v", name, err)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.client.Create(ctx, bkash.CreateRequest{Amount: 100, Invoice: "DON-19", CallbackURL: "ftp://kalyan.test/cb"})
	if !hasCode(err, bkash.CodeInvalidCallbackURL) {
		t.Fatalf("bad callback: %v", err)
	}
	_, err = e.client.Create(ctx, bkash.CreateRequest{Amount: 100, Invoice: "a<b", CallbackURL: e.callback})
	if !hasCode(err, bkash.CodeInvalidInvoice) {
		t.Fatalf("bad invoice: %v", err)
	}
	if _, err := e.client.Create(ctx, bkash.CreateRequest{Amount: 0, Invoice: "x", CallbackURL: e.callback}); err == nil {
		t.Fatal("zero amount accepted")
	}
	// An invoice that was already paid is a duplicate; an unpaid one can be retried.
	e.paid(money.Taka(10), "DON-20")
	_, err = e.client.Create(ctx, bkash.CreateRequest{Amount: 1000, Invoice: "DON-20", CallbackURL: e.callback})
	if !bkash.IsDuplicate(err) {
		t.Fatalf("paid invoice again: %v", err)
	}
	e.create(money.Taka(10), "DON-21")
	e.create(money.Taka(10), "DON-21")
}

func TestPaymentExpires(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(money.Taka(10), "DON-22")
	e.clock.Advance(24 * time.Hour)
	got, err := e.client.Query(ctx, p.PaymentID)
	if err != nil || got.Status != bkash.StatusExpired {
		t.Fatalf("query: %+v, %v", got, err)
	}
	resp := e.postForm(p.BkashURL, url.Values{"action": {"pay"}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("paying an expired payment: HTTP %d", resp.StatusCode)
	}
	if _, err := e.client.Execute(ctx, p.PaymentID); !bkash.IsInvalidPaymentState(err) {
		t.Fatalf("execute expired: %v", err)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	e := newEnv(t, withDataDir(dir))
	p := e.paid(money.Taka(250), "DON-23")
	if _, err := e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: p.TrxID, Amount: money.Taka(50)}); err != nil {
		t.Fatal(err)
	}
	open := e.create(money.Taka(10), "DON-24")
	e.payer(open.BkashURL, "pay", "")
	before := e.sb.Settlement(merchant.Username)
	if err := e.sb.Close(); err != nil {
		t.Fatal(err)
	}
	e.ts.Close()

	e2 := newEnv(t, withDataDir(dir))
	got, err := e2.client.Query(ctx, p.PaymentID)
	if err != nil || got.Status != bkash.StatusCompleted || got.TrxID != p.TrxID {
		t.Fatalf("query after restart: %+v, %v", got, err)
	}
	st, err := e2.client.RefundStatus(ctx, p.PaymentID, p.TrxID)
	if err != nil || st.Refunded != money.Taka(50) {
		t.Fatalf("refund status after restart: %+v, %v", st, err)
	}
	// The authorisation given before the restart still counts.
	if done, err := e2.client.Execute(ctx, open.PaymentID); err != nil || done.Status != bkash.StatusCompleted {
		t.Fatalf("execute after restart: %+v, %v", done, err)
	}
	after := e2.sb.Settlement(merchant.Username)
	if after.CompletedCount != before.CompletedCount+1 || after.RefundedTotal != before.RefundedTotal {
		t.Fatalf("settlement before %+v after %+v", before, after)
	}
}

func TestConcurrentPayments(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- func() error {
				p, err := e.client.Create(ctx, bkash.CreateRequest{Amount: money.Taka(10), Invoice: fmt.Sprintf("CC-%d", i), CallbackURL: e.callback})
				if err != nil {
					return err
				}
				hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				resp, err := hc.PostForm(p.BkashURL, url.Values{"action": {"pay"}})
				if err != nil {
					return err
				}
				resp.Body.Close()
				done, err := e.client.Execute(ctx, p.PaymentID)
				if err != nil {
					return err
				}
				if i%2 == 0 {
					_, err = e.client.Refund(ctx, bkash.RefundRequest{PaymentID: p.PaymentID, TrxID: done.TrxID, Amount: money.Taka(5)})
					return err
				}
				_, err = e.client.Query(ctx, p.PaymentID)
				return err
			}()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := e.sb.Settlement(merchant.Username)
	if s.CompletedCount != n || s.CompletedTotal != money.Taka(10*n) || s.RefundedTotal != money.Taka(5*n/2) {
		t.Fatalf("settlement %+v", s)
	}
	if st := e.sb.Stats(); st.Grants != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOpenModeAndPool(t *testing.T) {
	sb, err := bkashsandbox.New(bkashsandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { sb.Close(); ts.Close() })
	pool := bkash.NewPool(bkash.Config{BaseURL: ts.URL + "/v1.2.0-beta"})
	a := bkash.Credentials{Username: "unit-a", Password: "p", AppKey: "k", AppSecret: "s"}
	b := bkash.Credentials{Username: "unit-b", Password: "p", AppKey: "k", AppSecret: "s"}
	if first, again := pool.Client(a), pool.Client(a); first != again || first == pool.Client(b) {
		t.Fatal("pool must keep one client per credentials")
	}
	ctx := context.Background()
	pa, err := pool.Client(a).Create(ctx, bkash.CreateRequest{Amount: 100, Invoice: "A-1", CallbackURL: "http://127.0.0.1/cb"})
	if err != nil {
		t.Fatal(err)
	}
	// Payments belong to the merchant that created them.
	if _, err := pool.Client(b).Query(ctx, pa.PaymentID); !bkash.IsInvalidPaymentID(err) {
		t.Fatalf("other merchant's payment: %v", err)
	}
	if st := sb.Stats(); st.Grants != 2 {
		t.Fatalf("stats %+v", st)
	}
}

package bkashsandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// maxRefunds is bKash's limit of partial refunds per transaction (v2 API).
const maxRefunds = 10

// answer finishes a request according to its fault: "timeout" holds it
// (the operation already happened) and "malformed" garbles it.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, f Fault, write func()) {
	switch f {
	case FaultTimeout:
		if !s.hold(r.Context()) {
			// Drop the connection without a response: no answer at all.
			panic(http.ErrAbortHandler)
		}
	case FaultMalformed:
		writeMalformed(w)
		return
	case FaultLate:
		if !s.wait(r.Context(), s.cfg.LateAnswer) {
			panic(http.ErrAbortHandler)
		}
	}
	write()
}

// --- tokens ---

func (s *Server) handleGrant(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Grants++ })
	s.token(w, r, opGrant)
}

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Refreshes++ })
	s.token(w, r, opRefresh)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, op operation) {
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	user, pass := r.Header.Get("username"), r.Header.Get("password")
	key, secret := b.get("app_key"), b.get("app_secret")
	refresh := b.get("refresh_token")
	if user == "" || pass == "" || key == "" || secret == "" || (op == opRefresh && refresh == "") {
		writeStatus(w, "2065")
		return
	}
	if m, ok := s.merchant(user); ok || !s.open {
		switch {
		case !ok:
			writeStatus(w, "9999")
			return
		case m.Password != pass:
			writeJSON(w, http.StatusOK, map[string]string{"statusCode": "9999", "statusMessage": "Invalid username or password"})
			return
		case m.AppKey != key || m.AppSecret != secret:
			writeStatus(w, "2001")
			return
		}
	}
	f := s.fault(op, "")
	switch f {
	case FaultUnavailable:
		writeUnavailable(w)
		return
	case FaultFail:
		writeStatus(w, "2003")
		return
	case FaultSystemError:
		writeJSON(w, http.StatusOK, map[string]string{"statusCode": "9999", "statusMessage": "System Error."})
		return
	}

	now := s.cfg.Now()
	s.mu.Lock()
	if !s.admitTokenCallLocked(user, op == opGrant, now) {
		s.mu.Unlock()
		writeGrantBlocked(w)
		return
	}
	if op == opRefresh {
		ri := s.refreshTokens[refresh]
		if ri == nil || ri.merchant != user || !now.Before(ri.expiresAt) {
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]string{"statusCode": "9999", "statusMessage": "Invalid refresh token"})
			return
		}
	} else {
		refresh = randomToken("sbr.")
		s.refreshTokens[refresh] = &tokenInfo{merchant: user, appKey: key, expiresAt: now.Add(s.cfg.RefreshTTL)}
	}
	for k, t := range s.tokens {
		if !now.Before(t.expiresAt) {
			delete(s.tokens, k)
		}
	}
	for k, t := range s.refreshTokens {
		if !now.Before(t.expiresAt) {
			delete(s.refreshTokens, k)
		}
	}
	id := randomToken("sbx.")
	s.tokens[id] = &tokenInfo{merchant: user, appKey: key, expiresAt: now.Add(s.cfg.TokenTTL)}
	s.mu.Unlock()

	s.answer(w, r, f, func() {
		writeJSON(w, http.StatusOK, map[string]any{
			"statusCode":    "0000",
			"statusMessage": "Successful",
			"id_token":      id,
			"token_type":    "Bearer",
			"expires_in":    int(s.cfg.TokenTTL / time.Second),
			"refresh_token": refresh,
		})
	})
}

// authorise checks the id_token and app key; it answers the request itself
// when they are refused.
func (s *Server) authorise(w http.ResponseWriter, r *http.Request, refundAPI bool) (merchant string, ok bool) {
	tok := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	now := s.cfg.Now()
	s.mu.Lock()
	ti := s.tokens[tok]
	valid := tok != "" && ti != nil && now.Before(ti.expiresAt)
	if !valid {
		s.stats.Unauthorized++
	}
	s.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
		return "", false
	}
	if r.Header.Get("X-APP-Key") != ti.appKey {
		if refundAPI {
			writeRefundError(w, "2001")
		} else {
			writeStatus(w, "2001")
		}
		return "", false
	}
	return ti.merchant, true
}

// --- payments ---

func (s *Server) effectiveStatus(p *payment, now time.Time) status {
	if p.Status == statusInitiated && !now.Before(p.CreatedAt.Add(s.cfg.PaymentTTL)) {
		return statusExpired
	}
	return p.Status
}

func validCallback(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(raw) <= 2048
}

func (s *Server) publicURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Creates++ })
	merchant, ok := s.authorise(w, r, false)
	if !ok {
		return
	}
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	mode, payerRef, cb := b.get("mode"), b.get("payerReference"), b.get("callbackURL")
	amountText, currency, intent, invoice := b.get("amount"), b.get("currency"), b.get("intent"), b.get("merchantInvoiceNumber")
	amount, amountErr := money.Parse(amountText)
	code := ""
	switch {
	case mode == "" || payerRef == "" || cb == "" || amountText == "" || currency == "" || intent == "" || invoice == "":
		code = "2065"
	case mode != "0011":
		code = "2063"
	case utf8.RuneCountInString(payerRef) > 255:
		code = "2048"
	case !validCallback(cb):
		code = "2049"
	case amountErr != nil || amount <= 0:
		code = "2006"
	case currency != money.Currency:
		code = "2007"
	case intent != "sale":
		code = "2008"
	case utf8.RuneCountInString(invoice) > 255 || strings.ContainsAny(invoice, "<>&"):
		code = "2031"
	}
	if code != "" {
		writeStatus(w, code)
		return
	}
	f := s.fault(opCreate, "")
	switch f {
	case FaultUnavailable:
		writeUnavailable(w)
		return
	case FaultFail:
		writeStatus(w, "2003")
		return
	}

	now := s.cfg.Now()
	s.mu.Lock()
	if _, dup := s.paidInvoices[merchant+"\x00"+invoice]; dup {
		s.mu.Unlock()
		writeStatus(w, "2029")
		return
	}
	p := &payment{
		ID:             s.newPaymentIDLocked(now),
		Merchant:       merchant,
		Amount:         amount,
		Currency:       currency,
		Intent:         intent,
		Mode:           mode,
		Invoice:        invoice,
		PayerReference: payerRef,
		CallbackURL:    cb,
		Status:         statusInitiated,
		CreatedAt:      now,
	}
	err := s.commitLocked(p)
	s.mu.Unlock()
	if err != nil {
		writeUnavailable(w)
		return
	}
	s.log.Debug("bkash sandbox: payment created", "payment_id", p.ID)

	bkashURL := s.checkoutURL(s.publicURL(r), p.ID)
	s.answer(w, r, f, func() {
		// A struct, not a map: the answer is on every donation's path and
		// a map is encoded with its keys sorted (docs/benchmarks.md).
		writeJSON(w, http.StatusOK, createAnswer{
			PaymentID:             p.ID,
			BkashURL:              bkashURL,
			CallbackURL:           cb,
			SuccessCallbackURL:    callbackWith(cb, p.ID, "success"),
			FailureCallbackURL:    callbackWith(cb, p.ID, "failure"),
			CancelledCallbackURL:  callbackWith(cb, p.ID, "cancel"),
			Amount:                amount.String(),
			Intent:                intent,
			Currency:              currency,
			PaymentCreateTime:     bkashTime(now),
			TransactionStatus:     string(statusInitiated),
			MerchantInvoiceNumber: invoice,
			StatusCode:            "0000",
			StatusMessage:         "Successful",
		})
	})
}

func (s *Server) newPaymentIDLocked(now time.Time) string {
	const mixed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for {
		id := "TR0011" + randomString(mixed, 7) + strconv.FormatInt(now.UnixMilli(), 10)
		if _, taken := s.payments[id]; !taken {
			return id
		}
	}
}

func (s *Server) newTrxIDLocked() string {
	for {
		id := randomString(alnum, 10)
		if !s.trxIDs[id] {
			s.trxIDs[id] = true
			return id
		}
	}
}

// callbackWith appends bKash's callback parameters to the merchant's URL,
// after any query it already has.
func callbackWith(cb, paymentID, status string) string {
	base, frag, hasFrag := strings.Cut(cb, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out := base + sep + "paymentID=" + url.QueryEscape(paymentID) + "&status=" + url.QueryEscape(status)
	if hasFrag {
		out += "#" + frag
	}
	return out
}

func (s *Server) paymentFields(p *payment, st status) map[string]string {
	m := map[string]string{
		"paymentID":         p.ID,
		"amount":            p.Amount.String(),
		"currency":          p.Currency,
		"intent":            p.Intent,
		"transactionStatus": string(st),
		"payerReference":    p.PayerReference,
		"statusCode":        "0000",
		"statusMessage":     "Successful",
	}
	if p.TrxID != "" {
		m["trxID"] = p.TrxID
	}
	if st == statusCompleted {
		m["customerMsisdn"] = p.Wallet
		m["paymentExecuteTime"] = bkashTime(p.ExecutedAt)
	}
	return m
}

func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Executes++ })
	merchant, ok := s.authorise(w, r, false)
	if !ok {
		return
	}
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	id := b.get("paymentID")
	if id == "" {
		writeStatus(w, "2065")
		return
	}
	f := s.fault(opExecute, id)
	if f == FaultUnavailable {
		writeUnavailable(w)
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	p := s.payments[id]
	if p == nil || p.Merchant != merchant || p.App {
		s.mu.Unlock()
		writeStatus(w, "2002")
		return
	}
	np, code := s.executeLocked(p, f, now)
	var resp map[string]string
	if code == "" {
		resp = s.paymentFields(np, np.Status)
		resp["merchantInvoiceNumber"] = np.Invoice
	}
	s.mu.Unlock()
	if code == "503" {
		writeUnavailable(w)
		return
	}
	s.log.Debug("bkash sandbox: execute", "payment_id", id, "status_code", code)
	s.answer(w, r, f, func() {
		if code != "" {
			writeStatus(w, code)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// executeLocked applies execute to p and returns the new record and an
// error code ("" on success); s.mu must be held.
func (s *Server) executeLocked(p *payment, f Fault, now time.Time) (*payment, string) {
	switch s.effectiveStatus(p, now) {
	case statusInitiated:
	case statusCompleted:
		return p, "2117"
	case statusExpired:
		np := p.clone()
		np.Status = statusExpired
		if err := s.commitLocked(np); err != nil {
			return p, "503"
		}
		return np, "2056"
	default:
		return p, "2056"
	}
	if !p.Authorised {
		return p, "2060"
	}
	np := p.clone()
	code := ""
	switch f {
	case FaultFail:
		np.Status, code = statusFailed, "2003"
	case FaultInsufficientBalance:
		np.Status, code = statusFailed, "2023"
	case FaultCancel:
		np.Status, code = statusCancelled, "2056"
	default:
		np.Status = statusCompleted
		np.TrxID = s.newTrxIDLocked()
		np.ExecutedAt = now
	}
	if err := s.commitLocked(np); err != nil {
		return p, "503"
	}
	return np, code
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Queries++ })
	merchant, ok := s.authorise(w, r, false)
	if !ok {
		return
	}
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	id := b.get("paymentID")
	if id == "" {
		writeStatus(w, "2065")
		return
	}
	f := s.fault(opQuery, id)
	switch f {
	case FaultUnavailable:
		writeUnavailable(w)
		return
	case FaultFail:
		writeStatus(w, "2003")
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	p := s.payments[id]
	if p == nil || p.Merchant != merchant || p.App {
		s.mu.Unlock()
		writeStatus(w, "2002")
		return
	}
	st := s.effectiveStatus(p, now)
	resp := s.paymentFields(p, st)
	resp["mode"] = p.Mode
	resp["paymentCreateTime"] = bkashTime(p.CreatedAt)
	resp["merchantInvoice"] = p.Invoice
	resp[s.cfg.VerificationField] = "Incomplete"
	if p.Authorised {
		resp[s.cfg.VerificationField] = "Complete"
	}
	if st == statusCompleted {
		resp["maxRefundableAmount"] = (p.Amount - p.refunded()).String()
	}
	s.mu.Unlock()
	s.answer(w, r, f, func() { writeJSON(w, http.StatusOK, resp) })
}

// --- refunds (v2) ---

// refundTarget finds the completed payment a refund call is about, or the
// error code to answer; s.mu must be held.
func (s *Server) refundTargetLocked(merchant, paymentID, trxID string, now time.Time) (*payment, string) {
	p := s.payments[paymentID]
	if p == nil || p.Merchant != merchant || p.App { // an app payment has no paymentID (search.go)
		return nil, "2002"
	}
	if s.effectiveStatus(p, now) != statusCompleted {
		return nil, "2127"
	}
	if trxID != p.TrxID {
		return nil, "2077"
	}
	return p, ""
}

// refundCall is one refund request as either refund API words it.
type refundCall struct {
	merchant, paymentID, trxID, amount, sku, reason string
	hasSKU, hasReason                               bool
}

// refund makes the refund c asks for and returns the payment as it now
// stands and the refund made, or the bKash error code to answer. It
// refuses what bKash documents refusing and dedupes nothing: the same
// request sent twice is two refunds, as at bKash, within the amount left.
func (s *Server) refund(c refundCall, f Fault) (*payment, refund, string) {
	switch {
	case utf8.RuneCountInString(c.sku) > 255:
		return nil, refund{}, "2075"
	case utf8.RuneCountInString(c.reason) > 255:
		return nil, refund{}, "2076"
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, code := s.refundTargetLocked(c.merchant, c.paymentID, c.trxID, now)
	if code != "" {
		return nil, refund{}, code
	}
	s.settleRefundsLocked(p, now)
	p = s.payments[c.paymentID]
	amount, err := money.Parse(c.amount)
	refunded := p.refundedOrPending()
	switch {
	case err != nil || amount <= 0:
		code = "2072"
	case now.After(p.ExecutedAt.Add(s.cfg.RefundWindow)):
		// Refund window (Config.RefundWindow; 15 days per bKash's plugin).
		code = "2071"
	case refunded >= p.Amount:
		code = "2034"
	case len(p.Refunds) >= maxRefunds:
		code = "2074"
	case refunded+amount > p.Amount:
		code = "2026"
	case f == FaultFail:
		code = "2003"
	case f == FaultInsufficientBalance:
		code = "2023"
	}
	if code != "" {
		return nil, refund{}, code
	}
	np := p.clone()
	rf := refund{RefundTrxID: s.newTrxIDLocked(), Amount: amount, SKU: c.sku, Reason: c.reason, Status: statusCompleted, CompletedAt: now}
	if f == FaultPending {
		rf.Status = statusPending
	}
	np.Refunds = append(np.Refunds, rf)
	if err := s.commitLocked(np); err != nil {
		return nil, refund{}, "503"
	}
	s.log.Debug("bkash sandbox: refund", "payment_id", c.paymentID, "refund_trx_id", rf.RefundTrxID, "status", rf.Status)
	return np, rf, ""
}

// settleRefundsLocked completes the payment's Pending refunds whose time
// (Config.PendingRefund) has come; s.mu must be held.
func (s *Server) settleRefundsLocked(p *payment, now time.Time) {
	changed := false
	np := p.clone()
	for i, rf := range np.Refunds {
		if rf.Status == statusPending && !now.Before(rf.CompletedAt.Add(s.cfg.PendingRefund)) {
			np.Refunds[i].Status, np.Refunds[i].CompletedAt = statusCompleted, now
			changed = true
		}
	}
	if changed {
		if err := s.commitLocked(np); err != nil {
			s.log.Warn("bkash sandbox: settle pending refunds", "err", err)
		}
	}
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Refunds++ })
	merchant, ok := s.authorise(w, r, true)
	if !ok {
		return
	}
	if s.refundV1Only(merchant) {
		gatewayNoRoute(w, r)
		return
	}
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	c := refundCall{merchant: merchant, paymentID: b.get("paymentId"), trxID: b.get("trxId"), amount: b.get("refundAmount")}
	c.sku, c.hasSKU = b.str("sku")
	c.reason, c.hasReason = b.str("reason")
	if c.paymentID == "" || c.trxID == "" || c.amount == "" || !c.hasSKU || !c.hasReason {
		// The live API fails schema validation at its gateway, sku and
		// reason included, before any bKash code runs.
		writeInvalidBody(w)
		return
	}
	f := s.fault(opRefund, c.paymentID)
	if f == FaultUnavailable {
		writeUnavailable(w)
		return
	}
	np, rf, code := s.refund(c, f)
	if code != "" {
		writeRefundError(w, code)
		return
	}
	s.answer(w, r, f, func() {
		writeJSON(w, http.StatusOK, map[string]string{
			"originalTrxId":           np.TrxID,
			"refundTrxId":             rf.RefundTrxID,
			"refundTransactionStatus": string(rf.Status),
			"originalTrxAmount":       np.Amount.String(),
			"refundAmount":            rf.Amount.String(),
			"currency":                np.Currency,
			"completedTime":           bkashTime(rf.CompletedAt),
			"sku":                     rf.SKU,
			"reason":                  rf.Reason,
		})
	})
}

func (s *Server) handleRefundStatus(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.RefundQueries++ })
	merchant, ok := s.authorise(w, r, true)
	if !ok {
		return
	}
	if s.refundV1Only(merchant) {
		gatewayNoRoute(w, r)
		return
	}
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	pid, trx := b.get("paymentId"), b.get("trxId")
	if pid == "" || trx == "" {
		writeInvalidBody(w)
		return
	}
	f := s.fault(opRefundStatus, pid)
	switch f {
	case FaultUnavailable:
		writeUnavailable(w)
		return
	case FaultFail:
		writeRefundError(w, "2003")
		return
	}
	p, code := s.refundsOf(merchant, pid, trx)
	if code != "" {
		writeRefundError(w, code)
		return
	}
	list := make([]map[string]string, 0, len(p.Refunds))
	for _, rf := range p.Refunds {
		list = append(list, map[string]string{
			"refundTrxId":             rf.RefundTrxID,
			"refundTransactionStatus": string(rf.Status),
			"refundAmount":            rf.Amount.String(),
			"completedTime":           bkashTime(rf.CompletedAt),
		})
	}
	resp := map[string]any{
		"originalTrxId":            p.TrxID,
		"originalTrxAmount":        p.Amount.String(),
		"originalTrxCompletedTime": bkashTime(p.ExecutedAt),
		"refundTransactions":       list,
	}
	s.answer(w, r, f, func() { writeJSON(w, http.StatusOK, resp) })
}

// refundsOf returns the payment a refund status asks about, its due Pending
// refunds completed, or the error code to answer.
func (s *Server) refundsOf(merchant, pid, trx string) (*payment, string) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, code := s.refundTargetLocked(merchant, pid, trx, now)
	if code != "" {
		return nil, code
	}
	s.settleRefundsLocked(p, now)
	return s.payments[pid].clone(), ""
}

// handleRefundV1 serves bKash's v1 refund API, which refunds and reports
// refund status on one path, /tokenized/checkout/payment/refund, telling them
// apart by the body: {paymentID, trxID, amount, sku, reason} refunds,
// {paymentID, trxID} asks for the status (bKash's WooCommerce plugin,
// ApiComm::refund and ::refundStatus; dreygur/bkashgo methods/refund.go). The
// answer has the tokenized checkout's shape {originalTrxID, refundTrxID,
// transactionStatus, amount, currency, charge, completedTime} (plugin
// Admin/pages/refund_transaction.php; bkashgo models.RefundResponse), and
// errors its {statusCode, statusMessage} envelope with HTTP 200.
func (s *Server) handleRefundV1(w http.ResponseWriter, r *http.Request) {
	merchant, ok := s.authorise(w, r, false)
	if !ok {
		return
	}
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	c := refundCall{merchant: merchant, paymentID: b.get("paymentID"), trxID: b.get("trxID"), amount: b.get("amount")}
	c.sku, c.hasSKU = b.str("sku")
	c.reason, c.hasReason = b.str("reason")
	if c.paymentID == "" || c.trxID == "" {
		// bKash's error-code page: 2065 "Mandatory field missing".
		writeStatus(w, "2065")
		return
	}
	if c.amount == "" && !c.hasSKU && !c.hasReason {
		s.refundStatusV1(w, r, c)
		return
	}
	s.count(func(st *Stats) { st.Refunds++ })
	if c.amount == "" || c.sku == "" || c.reason == "" {
		// bKash refuses a refund without sku or reason (the plugin always
		// sends both; theihasan/laravel-bkash PR #8: "If the SKU field is
		// missing, bKash returns an 'Invalid SKU' error").
		writeStatus(w, "2065")
		return
	}
	f := s.fault(opRefund, c.paymentID)
	if f == FaultUnavailable {
		writeUnavailable(w)
		return
	}
	np, rf, code := s.refund(c, f)
	if code != "" {
		writeStatus(w, code)
		return
	}
	s.answer(w, r, f, func() { writeJSON(w, http.StatusOK, refundV1Answer(np, rf)) })
}

func (s *Server) refundStatusV1(w http.ResponseWriter, r *http.Request, c refundCall) {
	s.count(func(st *Stats) { st.RefundQueries++ })
	f := s.fault(opRefundStatus, c.paymentID)
	switch f {
	case FaultUnavailable:
		writeUnavailable(w)
		return
	case FaultFail:
		writeStatus(w, "2003")
		return
	}
	p, code := s.refundsOf(c.merchant, c.paymentID, c.trxID)
	if code == "" && len(p.Refunds) == 0 {
		// "get status if the transaction is already refunded otherwise
		// invalid payment id will return" (plugin ApiComm::refundStatus).
		code = "2002"
	}
	if code != "" {
		writeStatus(w, code)
		return
	}
	// The v1 answer describes one refund: the latest.
	ans := refundV1Answer(p, p.Refunds[len(p.Refunds)-1])
	s.answer(w, r, f, func() { writeJSON(w, http.StatusOK, ans) })
}

func refundV1Answer(p *payment, rf refund) map[string]string {
	return map[string]string{
		"originalTrxID":     p.TrxID,
		"refundTrxID":       rf.RefundTrxID,
		"transactionStatus": string(rf.Status),
		"amount":            rf.Amount.String(),
		"currency":          p.Currency,
		"charge":            "0.00",
		"completedTime":     bkashTime(rf.CompletedAt),
		"statusCode":        "0000",
		"statusMessage":     "Successful",
	}
}

func (s *Server) refundV1Only(merchant string) bool {
	m, ok := s.merchant(merchant)
	return ok && m.RefundV1Only
}

// createAnswer is bKash's answer to create payment.
type createAnswer struct {
	PaymentID             string `json:"paymentID"`
	BkashURL              string `json:"bkashURL"`
	CallbackURL           string `json:"callbackURL"`
	SuccessCallbackURL    string `json:"successCallbackURL"`
	FailureCallbackURL    string `json:"failureCallbackURL"`
	CancelledCallbackURL  string `json:"cancelledCallbackURL"`
	Amount                string `json:"amount"`
	Intent                string `json:"intent"`
	Currency              string `json:"currency"`
	PaymentCreateTime     string `json:"paymentCreateTime"`
	TransactionStatus     string `json:"transactionStatus"`
	MerchantInvoiceNumber string `json:"merchantInvoiceNumber"`
	StatusCode            string `json:"statusCode"`
	StatusMessage         string `json:"statusMessage"`
}

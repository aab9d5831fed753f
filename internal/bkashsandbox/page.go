package bkashsandbox

import (
	"html/template"
	"net/http"
	"strings"
)

// sandboxWallet is bKash's published sandbox customer wallet, used when the
// payer leaves the number empty.
const sandboxWallet = "01770618575"

// The page is the payer's stand-in for bKash's hosted checkout: plain HTML
// forms, no JavaScript, readable on a small phone on a slow connection.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Found}}Pay {{.Merchant}} with bKash{{else}}Payment not found{{end}} (sandbox)</title>
<style>
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Bengali",sans-serif;color:#1a1a1a;background:#f6f6f6}
main{max-width:28rem;margin:0 auto;padding:1rem}
.note{background:#fff3cd;border:1px solid #8a6d00;padding:.5rem .75rem;border-radius:.25rem}
h1{font-size:1.5rem;color:#8c0e4a;margin:.75rem 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;background:#fff;padding:.75rem;border-radius:.25rem;border:1px solid #ccc}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin-top:1rem}
input{width:100%;box-sizing:border-box;font:inherit;padding:.6rem;border:2px solid #555;border-radius:.25rem}
.hint{margin:.25rem 0 0;color:#444;font-size:.95rem}
.error{color:#a00000;font-weight:600}
.actions{display:flex;flex-direction:column;gap:.75rem;margin-top:1.25rem}
button{font:inherit;min-height:3rem;border-radius:.25rem;border:2px solid #8c0e4a;background:#fff;color:#8c0e4a;cursor:pointer}
button.pay{background:#8c0e4a;color:#fff}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
</style>
</head>
<body>
<main>
<p class="note">Kalyan bKash sandbox: no real money moves.</p>
{{if not .Found}}
<h1>Payment not found</h1>
<p>There is no payment with this ID. Go back to the page you came from and start again.</p>
{{else}}
<h1>Pay with bKash</h1>
<dl>
<dt>Merchant</dt><dd>{{.Merchant}}</dd>
<dt>Amount</dt><dd>৳{{.Amount}} (BDT)</dd>
<dt>Invoice</dt><dd>{{.Invoice}}</dd>
</dl>
{{if .Error}}<p class="error" role="alert" id="wallet-error">{{.Error}}</p>{{end}}
{{if .Open}}
<form method="post">
<label for="wallet">bKash account number (optional)</label>
<input id="wallet" name="wallet" type="tel" inputmode="numeric" autocomplete="tel" maxlength="14" placeholder="01XXXXXXXXX" value="{{.Wallet}}" aria-describedby="wallet-hint{{if .Error}} wallet-error{{end}}"{{if .Error}} aria-invalid="true"{{end}}>
<p class="hint" id="wallet-hint">11 digits starting with 01. Leave it empty to use the sandbox wallet.</p>
<div class="actions">
<button type="submit" name="action" value="pay" class="pay">Pay ৳{{.Amount}}</button>
<button type="submit" name="action" value="cancel">Cancel payment</button>
<button type="submit" name="action" value="fail">Simulate a failed payment</button>
<button type="submit" name="action" value="close">Close the page without paying</button>
</div>
</form>
{{else}}
<p role="status">{{.State}}</p>
{{if .ReturnURL}}<p><a href="{{.ReturnURL}}">Return to {{.Merchant}}</a></p>{{end}}
{{end}}
{{end}}
</main>
</body>
</html>
`))

type pageData struct {
	Found     bool
	ID        string
	Merchant  string
	Amount    string
	Invoice   string
	Open      bool
	Wallet    string
	Error     string
	State     string
	ReturnURL string
}

// merchantNameLocked is the name payers see; s.mu must be held.
func (s *Server) merchantNameLocked(username string) string {
	if m, ok := s.merchants[username]; ok && m.Name != "" {
		return m.Name
	}
	return username
}

// pageDataLocked describes p for the page; s.mu must be held.
func (s *Server) pageDataLocked(p *payment) pageData {
	d := pageData{
		Found:    true,
		ID:       p.ID,
		Merchant: s.merchantNameLocked(p.Merchant),
		Amount:   p.Amount.String(),
		Invoice:  p.Invoice,
	}
	st := s.effectiveStatus(p, s.cfg.Now())
	switch {
	case st == statusInitiated && !p.Authorised:
		d.Open = true
	case st == statusInitiated:
		d.State = "You have authorised this payment. The merchant is completing it."
		d.ReturnURL = s.returnURL(p, "success")
	case st == statusCompleted:
		d.State = "This payment is complete."
		d.ReturnURL = s.returnURL(p, "success")
	case st == statusCancelled:
		d.State = "This payment was cancelled."
		d.ReturnURL = s.returnURL(p, "cancel")
	case st == statusExpired:
		d.State = "This payment has expired. Start a new one from the merchant's page."
		d.ReturnURL = s.returnURL(p, "failure")
	default:
		d.State = "This payment failed."
		d.ReturnURL = s.returnURL(p, "failure")
	}
	return d
}

func renderPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	pageTemplate.Execute(w, d)
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.payments[s.pageID(r)]
	if p != nil && p.App {
		p = nil // made in the app: it has no checkout page
	}
	var d pageData
	if p != nil {
		d = s.pageDataLocked(p)
	}
	s.mu.Unlock()
	if p == nil {
		renderPage(w, http.StatusNotFound, d)
		return
	}
	renderPage(w, http.StatusOK, d)
}

// normaliseWallet accepts 01XXXXXXXXX with optional +880/880 prefix, spaces
// and dashes; ok is false for anything else.
func normaliseWallet(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	switch {
	case strings.HasPrefix(s, "+880"):
		s = "0" + s[4:]
	case strings.HasPrefix(s, "880"):
		s = "0" + s[3:]
	}
	if len(s) != 11 || s[0] != '0' || s[1] != '1' || s[2] < '3' || s[2] > '9' {
		return "", false
	}
	for i := 3; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}

func (s *Server) handlePagePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("action")
	walletIn := strings.TrimSpace(r.PostForm.Get("wallet"))
	id := s.pageID(r)

	s.mu.Lock()
	p := s.payments[id]
	if p == nil || p.App {
		s.mu.Unlock()
		renderPage(w, http.StatusNotFound, pageData{})
		return
	}
	now := s.cfg.Now()
	st := s.effectiveStatus(p, now)
	d := s.pageDataLocked(p)
	var (
		next     status
		callback string
	)
	switch action {
	case "pay":
		if st == statusInitiated && p.Authorised {
			// A repeated submit (back button, double tap) lands where the first did.
			s.mu.Unlock()
			http.Redirect(w, r, s.returnURL(p, "success"), http.StatusSeeOther)
			return
		}
		next, callback = statusInitiated, "success"
	case "cancel":
		next, callback = statusCancelled, "cancel"
	case "fail":
		next, callback = statusFailed, "failure"
	case "close":
		// The payer closes bKash's page: bKash hears nothing and sends no
		// one back, so the payment stays Initiated until it expires
		// (PaymentTTL, bKash's 24 h). The merchant learns its fate only by
		// querying (the reconciler).
		s.mu.Unlock()
		d.Open, d.ReturnURL = false, ""
		d.State = "You closed this page without paying. Nothing was charged; the merchant is not told."
		renderPage(w, http.StatusOK, d)
		return
	default:
		s.mu.Unlock()
		d.Error = "Choose Pay, Cancel or Simulate a failed payment."
		renderPage(w, http.StatusBadRequest, d)
		return
	}
	if st != statusInitiated || p.Authorised {
		s.mu.Unlock()
		renderPage(w, http.StatusConflict, d)
		return
	}
	np := p.clone()
	np.Status = next
	if action == "pay" {
		wallet := sandboxWallet
		if walletIn != "" {
			var ok bool
			if wallet, ok = normaliseWallet(walletIn); !ok {
				s.mu.Unlock()
				d.Wallet = walletIn
				d.Error = "Enter an 11-digit bKash account number starting with 01, or leave it empty."
				renderPage(w, http.StatusUnprocessableEntity, d)
				return
			}
		}
		np.Authorised, np.AuthorisedAt, np.Wallet = true, now, wallet
	}
	err := s.commitLocked(np)
	s.mu.Unlock()
	if err != nil {
		http.Error(w, "sandbox storage unavailable", http.StatusServiceUnavailable)
		return
	}
	s.log.Debug("bkash sandbox: payer page", "payment_id", id, "action", action)
	http.Redirect(w, r, s.returnURL(np, callback), http.StatusSeeOther)
}

package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// The donor pages are plain server-rendered HTML that works without
// JavaScript on a cheap phone: one small inline stylesheet, no web fonts.
var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="bn"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
{{if .Refresh}}<meta http-equiv="refresh" content="3">{{end}}<title>{{.Title}} · কল্যাণ Kalyan</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem;line-height:1.5;color:#111}
label{display:block;margin-top:.8rem;font-weight:600}input,select{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #555;border-radius:4px}
input[type=checkbox],input[type=radio]{width:auto}button{margin-top:1rem;font-size:1.1rem;padding:.7rem 1.2rem;background:#b3005e;color:#fff;border:0;border-radius:4px}
.err{color:#a00000}.muted{color:#444}fieldset{border:1px solid #888;margin-top:.8rem}a{color:#0645ad}</style></head><body><main>{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "home"}}{{template "head" .}}<h1>কল্যাণ · Kalyan</h1><p>রোগীকল্যাণ সমিতিতে যাকাত ও দান · Zakat and donations to patient welfare societies</p>
<ul>{{range .Units}}<li><a href="/d/{{.Code}}">{{.Names.BN}}</a> <span class="muted">({{.Names.EN}})</span></li>{{end}}</ul>{{template "foot"}}{{end}}

{{define "donate"}}{{template "head" .}}<h1>{{.Unit.Names.BN}}</h1><p class="muted">{{.Unit.Names.EN}} · রোগীকল্যাণ সমিতি</p>
{{if .Errors}}<div class="err" role="alert"><p>অনুগ্রহ করে ঠিক করুন · Please correct:</p><ul>{{range .Errors}}<li>{{.Field}}: {{.Message}}</li>{{end}}</ul></div>{{end}}
<form method="post" action="/d/{{.Unit.Code}}"><input type="hidden" name="key" value="{{.Key}}">
<label for="amount">পরিমাণ (টাকা) · Amount (BDT)</label><input id="amount" name="amount" inputmode="decimal" required value="{{.Form.amount}}">
<fieldset><legend>দানের ধরন · Kind of gift</legend>
<label><input type="radio" name="kind" value="zakat" {{if eq .Form.kind "zakat"}}checked{{end}}> যাকাত · Zakat</label>
<label><input type="radio" name="kind" value="sadaqah" {{if eq .Form.kind "sadaqah"}}checked{{end}}> সদকা · Sadaqah</label>
<label><input type="radio" name="kind" value="general" {{if eq .Form.kind "general"}}checked{{end}}> সাধারণ দান · General</label></fieldset>
{{if .Unit.Policy.Programmes}}<label for="programme">কর্মসূচি (ঐচ্ছিক) · Programme (optional)</label><select id="programme" name="programme"><option value="">—</option>{{range .Unit.Policy.Programmes}}<option value="{{.}}" {{if eq $.Form.programme .}}selected{{end}}>{{.}}</option>{{end}}</select>{{end}}
<label for="name">নাম · Name</label><input id="name" name="name" autocomplete="name" value="{{.Form.name}}">
<label><input type="checkbox" name="anonymous" value="1" {{if .Form.anonymous}}checked{{end}}> বেনামে দিন · Give anonymously</label>
<label for="phone">মোবাইল নম্বর · Mobile number</label><input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required placeholder="01XXXXXXXXX" value="{{.Form.phone}}">
<label for="email">ইমেইল (ঐচ্ছিক) · E-mail (optional)</label><input id="email" name="email" type="email" autocomplete="email" value="{{.Form.email}}">
<label for="tin">ই-টিআইএন (ঐচ্ছিক, কর রেয়াতের জন্য) · e-TIN (optional, for tax rebate)</label><input id="tin" name="tin" inputmode="numeric" value="{{.Form.tin}}">
<button type="submit">বিকাশে দিন · Pay with bKash</button></form>{{template "foot"}}{{end}}

{{define "status"}}{{template "head" .}}<h1>দান · Donation</h1>
<p>পরিমাণ · Amount: <strong>৳ {{.D.Amount}}</strong> ({{.D.Kind}})</p>
<p role="status">অবস্থা · Status: <strong>{{.Status}}</strong></p>
{{if .Receipt}}<p>রসিদ নম্বর · Receipt number: <strong>{{.Receipt.Serial}}</strong></p>{{else if .Refresh}}<p class="muted">এই পাতাটি নিজে থেকে হালনাগাদ হবে · This page updates itself.</p>{{end}}
{{if eq .Status "initiated"}}<p><a href="{{.D.PaymentURL}}">বিকাশে পরিশোধ করুন · Pay with bKash</a></p>{{end}}{{template "foot"}}{{end}}

{{define "error"}}{{template "head" .}}<h1>{{.P.Title}}</h1><p>{{.P.Detail}}</p><p><a href="/">কল্যাণ · Kalyan</a></p>{{template "foot"}}{{end}}
`))

func render(c *fiber.Ctx, status int, name string, data fiber.Map) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
	return pages.ExecuteTemplate(c.Response().BodyWriter(), name, data)
}

func renderError(c *fiber.Ctx, p Problem) error {
	return render(c, p.Status, "error", fiber.Map{"Title": p.Title, "P": p})
}

func (h *handlers) home(c *fiber.Ctx) error {
	us, err := h.Units.Store.List(c.UserContext())
	if err != nil {
		return err
	}
	active := us[:0]
	for _, u := range us {
		if u.Status == units.Active {
			active = append(active, u)
		}
	}
	return render(c, fiber.StatusOK, "home", fiber.Map{"Title": "Kalyan", "Units": active})
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *handlers) donatePage(c *fiber.Ctx) error {
	u, err := h.Units.Servable(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, "donate", fiber.Map{"Title": u.Names.BN, "Unit": u, "Key": newKey(), "Form": map[string]string{"kind": "zakat"}})
}

// donateSubmit creates the donation from the form and sends the donor to
// bKash. The form's hidden key makes a double-tap create one donation.
func (h *handlers) donateSubmit(c *fiber.Ctx) error {
	u, err := h.Units.Servable(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, f := range []string{"key", "amount", "kind", "programme", "name", "anonymous", "phone", "email", "tin"} {
		form[f] = c.FormValue(f)
	}
	var req donations.Request
	req.Amount, req.Kind, req.Programme, req.Anonymous = form["amount"], form["kind"], form["programme"], form["anonymous"] != ""
	req.Donor.Name, req.Donor.Phone, req.Donor.Email, req.Donor.TIN = form["name"], form["phone"], form["email"], form["tin"]
	key := form["key"]
	if !validKey(key) {
		key = newKey()
	}
	d, _, err := h.Donations.Create(c.UserContext(), u.Code, key, req)
	var v validation.Errors
	switch {
	case errors.As(err, &v):
		return render(c, fiber.StatusUnprocessableEntity, "donate", fiber.Map{"Title": u.Names.BN, "Unit": u, "Key": newKey(), "Form": form, "Errors": v})
	case errors.Is(err, donations.ErrKeyReused):
		return render(c, fiber.StatusUnprocessableEntity, "donate", fiber.Map{"Title": u.Names.BN, "Unit": u, "Key": newKey(), "Form": form,
			"Errors": validation.Errors{{Field: "form", Message: "ফর্মটি আবার পাঠান · Please submit the form again"}}})
	case err != nil:
		return err
	}
	if d.Status != donations.Initiated {
		return c.Redirect("/donations/"+d.ID, fiber.StatusSeeOther)
	}
	return c.Redirect(d.PaymentURL, fiber.StatusSeeOther)
}

func (h *handlers) statusPage(c *fiber.Ctx) error {
	v, err := h.Donations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	st := v.EffectiveStatus()
	refresh := st == donations.Initiated || st == donations.Paid
	return render(c, fiber.StatusOK, "status", fiber.Map{"Title": "Donation", "D": v.Donation, "Status": string(st), "Receipt": v.Receipt, "Refresh": refresh})
}

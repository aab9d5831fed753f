package platform

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// sealer builds the seal-key holder: the ring from KALYAN_SEAL_KEY, or
// from the file KALYAN_SEAL_KEY_FILE names, re-read while running so a
// rotated Secret needs no restart. Config validation has checked the ring's
// form; a missing one (the production check requires one) gives a sealer
// that refuses to work, so receipts wait rather than go unsigned.
func sealer(c config.Config, log *slog.Logger) *signing.Sealer { return Sealer(c, log) }

// Sealer is the seal-key holder as the api and worker build it (also for
// `kalyan-worker reseal`).
func Sealer(c config.Config, log *slog.Logger) *signing.Sealer {
	var (
		s   *signing.Sealer
		err error
	)
	switch {
	case c.SealKeyFile != "":
		s, err = signing.NewSealerFromFile(c.SealKeyFile, c.SealKeyReload)
	case c.SealKey != "":
		var kr signing.KeyRing
		if kr, err = signing.ParseKeyRing(c.SealKey); err == nil {
			s, err = signing.NewRingSealer(kr)
		}
	}
	if err != nil || s == nil {
		if err != nil {
			log.Error("seal key unusable; receipts cannot be signed", "err", err)
		}
		s, _ = signing.NewSealer(nil)
	}
	return s
}

// notifiers routes each channel to its configured adapter, or to the
// notification file when none is configured (the embedded default).
func notifiers(c config.Config) notify.Router {
	fileSMS, fileEmail := notify.NewFile(notifyFile(c), time.Now)
	r := notify.Router{SMS: fileSMS, Email: fileEmail}
	if s := c.Notify.SMS; s.URL != "" {
		r.SMS = &notify.HTTPSMS{URL: s.URL, Token: s.Token, Sender: s.Sender}
	}
	if e := c.Notify.Email; e.SMTPAddr != "" {
		r.Email = &notify.SMTP{Addr: e.SMTPAddr, From: e.From, Username: e.Username, Password: e.Password}
	}
	return r
}

func notifyFile(c config.Config) string {
	if c.Notify.File != "" {
		return c.Notify.File
	}
	return filepath.Join(c.DataDir, "notifications.log")
}

// apiReceiptDeps fills the receipt part of the HTTP dependencies.
func apiReceiptDeps(c config.Config, store *mongostore.Store, log *slog.Logger, s *Services) (*app.Statements, *receiptpdf.Renderer) {
	st := &app.Statements{
		Receipts: store.Receipts(), Verifier: s.Receipts, Sealer: s.Sealer, SMS: notifiers(c).SMS,
		Limiter: store.RateLimits(), PublicURL: strings.TrimRight(c.PublicURL, "/"), Now: time.Now, Log: log,
		LinkTTL: c.Receipts.StatementLinkTTL, PerHour: c.Receipts.StatementsPerHour, PerClientHour: c.Receipts.StatementsPerIPPerHour,
		Audit: store.StatementPrints(), Refunded: s.Receipts.Refunded,
	}
	pdf, err := receiptpdf.NewRenderer()
	if err != nil {
		// The fonts are compiled in: failing to parse them is a broken build.
		panic(fmt.Sprintf("receipt renderer: %v", err))
	}
	return st, pdf
}

// receiptNotifier builds the donor notifier.
func (w *Worker) receiptNotifier() *app.ReceiptNotifier {
	if w.cfg.Notify.SMS.URL == "" {
		w.log.Warn("no SMS gateway configured (KALYAN_NOTIFY_SMS_URL): donor notifications go to the notification file", "file", notifyFile(w.cfg))
	}
	return &app.ReceiptNotifier{
		Receipts: w.store.Receipts(), Donations: w.store.Donations(), Notify: notifiers(w.cfg), Sent: w.store.Notifications(),
		PublicURL: strings.TrimRight(w.cfg.PublicURL, "/"), Now: time.Now, Log: w.log,
	}
}

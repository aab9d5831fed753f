package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// receiptDefaults fills the embedded default's receipt settings: a seal
// key generated once in <dir>/seal.key (so a restart can still open the
// units' signing keys) and the notification outbox file.
func receiptDefaults(c *config.Config, dir string) error {
	if c.Notify.File == "" {
		c.Notify.File = filepath.Join(dir, "notifications.log")
	}
	if c.SealKey != "" || c.SealKeyFile != "" {
		return nil
	}
	path := filepath.Join(dir, "seal.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("seal key: %w", err)
		}
		key := signing.NewSealKey()
		// O_EXCL: two stacks starting on one directory agree on one key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return receiptDefaults(c, dir)
		}
		if err != nil {
			return fmt.Errorf("seal key: %w", err)
		}
		_, werr := f.WriteString(key + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("seal key: %w", werr)
		}
		c.SealKey = key
		return nil
	}
	if err != nil {
		return fmt.Errorf("seal key: %w", err)
	}
	if _, err := signing.ParseKeyRing(string(b)); err != nil {
		return fmt.Errorf("seal key %s: %w", path, err)
	}
	c.SealKey = strings.TrimSpace(string(b))
	return nil
}

// KeyEnsurer gives units without a receipt signing key a generated one.
type KeyEnsurer interface {
	Ensure(ctx context.Context, unit string) (string, error)
}

// EnsureDemoKeys gives the demo units their signing keys, so their public
// keys are published before their first receipt.
func EnsureDemoKeys(ctx context.Context, k KeyEnsurer) error {
	for _, u := range DemoUnits() {
		if _, err := k.Ensure(ctx, u.Code); err != nil {
			return fmt.Errorf("signing key for %s: %w", u.Code, err)
		}
	}
	return nil
}

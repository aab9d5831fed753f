package config

import (
	"fmt"
	"os"
	"strings"
)

// readSecretFiles takes each secret setting from the file KALYAN_<NAME>_FILE names, when set: in
// Kubernetes the chart mounts the Secrets as files (not environment variables, which leak into child
// processes, crash dumps and `kubectl describe`), and a file can be re-read. The seal key ring has its
// own KALYAN_SEAL_KEY_FILE, re-read while running (signing.NewSealerFromFile).
func (c *Config) readSecretFiles() error {
	for _, s := range []struct {
		env string
		dst *string
	}{
		{"KALYAN_MONGODB_URI", &c.MongoDB.URI},
		{"KALYAN_BKASH_USERNAME", &c.BKash.Username},
		{"KALYAN_BKASH_PASSWORD", &c.BKash.Password},
		{"KALYAN_BKASH_APP_KEY", &c.BKash.AppKey},
		{"KALYAN_BKASH_APP_SECRET", &c.BKash.AppSecret},
		{"KALYAN_NOTIFY_SMS_TOKEN", &c.Notify.SMS.Token},
		{"KALYAN_NOTIFY_EMAIL_PASSWORD", &c.Notify.Email.Password},
	} {
		path := os.Getenv(s.env + "_FILE")
		if path == "" {
			continue
		}
		if os.Getenv(s.env) != "" {
			return fmt.Errorf("%s and %s_FILE are both set: use one", s.env, s.env)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", s.env, err)
		}
		// A trailing newline is how `kubectl create secret --from-file` and editors leave files.
		*s.dst = strings.TrimRight(string(b), "\r\n")
	}
	return nil
}

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadFileThenEnv(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "kalyan.yaml")
	if err := os.WriteFile(f, []byte("httpAddr: 0.0.0.0:9000\nkafka:\n  brokers: [a:9092]\n  partitions: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KALYAN_CONFIG_FILE", f)
	t.Setenv("KALYAN_KAFKA_PARTITIONS", "6")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "0.0.0.0:9000" || c.Kafka.Partitions != 6 || c.Kafka.Brokers[0] != "a:9092" {
		t.Fatalf("got %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownYAMLFieldRejected(t *testing.T) {
	f := filepath.Join(t.TempDir(), "k.yaml")
	_ = os.WriteFile(f, []byte("htpAddr: x\n"), 0o600)
	t.Setenv("KALYAN_CONFIG_FILE", f)
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "htpAddr") {
		t.Fatalf("want error naming the field, got %v", err)
	}
}

func TestValidateNamesSettings(t *testing.T) {
	t.Setenv("KALYAN_HTTP_ADDR", "nonsense")
	t.Setenv("KALYAN_LOG_LEVEL", "loud")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	err = c.ValidateExternal()
	for _, want := range []string{"KALYAN_HTTP_ADDR", "KALYAN_LOG_LEVEL", "KALYAN_MONGODB_URI", "KALYAN_KAFKA_BROKERS", "KALYAN_BKASH_BASE_URL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

// TestTrustedProxiesAreAddressesOrRanges: a typo in the list would
// silently trust nobody (or, worse, be read differently by two parts of
// the server), so it stops the process instead.
func TestTrustedProxiesAreAddressesOrRanges(t *testing.T) {
	t.Setenv("KALYAN_HTTP_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.10,2001:db8::/32")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("good list refused: %v", err)
	}
	for _, bad := range []string{"10.0.0.0/33", "lb.internal", "10.0.0.1:8080", "*"} {
		t.Setenv("KALYAN_HTTP_TRUSTED_PROXIES", "10.0.0.1,"+bad)
		c, err := Load()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "KALYAN_HTTP_TRUSTED_PROXIES") || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Package manager wires the HospitalUnit controller into a controller-runtime manager: flags, client
// configuration, the label-restricted cache, metrics, health probes and leader election.
package manager

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kalyan-platform/kalyan/internal/buildinfo"
	"github.com/kalyan-platform/kalyan/operator/internal/apiclient"
	"github.com/kalyan-platform/kalyan/operator/internal/controller"
	"github.com/kalyan-platform/kalyan/operator/internal/kube"
)

// Flags are the operator's command-line settings.
type Flags struct {
	APIURL                  string
	APITokenFile            string
	APITimeout              time.Duration
	PlatformNamespace       string
	MaxConcurrentReconciles int
	RegistrationRefresh     time.Duration
	RecheckInterval         time.Duration
	BackoffBase             time.Duration
	BackoffMax              time.Duration
	MetricsAddr             string
	MetricsSecure           bool
	MetricsCertDir          string
	ProbeAddr               string
	UnitClusterRole         string
	LeaderElect             bool
	LeaderElectionNamespace string
	Kubeconfig              string
	KubeQPS                 float64
	KubeBurst               int
	LogLevel                string
	LogFormat               string
}

func parseFlags(args []string, stderr io.Writer) (Flags, error) {
	var f Flags
	fs := flag.NewFlagSet("kalyan-operator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.APIURL, "api-url", os.Getenv("KALYAN_API_URL"), "base URL of the Kalyan API, e.g. http://kalyan-api.kalyan-system.svc (env KALYAN_API_URL)")
	fs.StringVar(&f.APITokenFile, "api-token-file", os.Getenv("KALYAN_API_TOKEN_FILE"), "file holding the platform-admin bearer token; re-read on every call so it can be rotated (env KALYAN_API_TOKEN_FILE)")
	fs.DurationVar(&f.APITimeout, "api-timeout", 10*time.Second, "timeout of one call to the Kalyan API")
	fs.StringVar(&f.PlatformNamespace, "platform-namespace", "kalyan-system", "namespace of the Kalyan api and workers; unit namespaces admit traffic only from it")
	fs.IntVar(&f.MaxConcurrentReconciles, "max-concurrent-reconciles", 32, "HospitalUnits reconciled at once")
	fs.DurationVar(&f.RegistrationRefresh, "registration-refresh", 10*time.Minute, "re-register an unchanged unit with the API this often")
	fs.DurationVar(&f.RecheckInterval, "recheck-interval", time.Minute, "look again this often at a unit waiting on a person (missing bKash Secret, lost signing key, namespace conflict)")
	fs.DurationVar(&f.BackoffBase, "api-backoff-base", time.Second, "first retry delay when the API fails (doubles per failure)")
	fs.DurationVar(&f.BackoffMax, "api-backoff-max", 5*time.Minute, "longest retry delay when the API fails")
	fs.StringVar(&f.MetricsAddr, "metrics-bind-address", ":8443", "address of the Prometheus metrics endpoint (0 disables it)")
	fs.BoolVar(&f.MetricsSecure, "metrics-secure", true, "serve metrics over HTTPS, only to callers the API server authenticates (TokenReview) and authorises for GET /metrics (SubjectAccessReview); false serves plain HTTP to anyone (development only)")
	fs.StringVar(&f.MetricsCertDir, "metrics-cert-dir", "", "directory with tls.crt and tls.key for the metrics endpoint, re-read when they change (default: a self-signed certificate)")
	fs.StringVar(&f.UnitClusterRole, "unit-cluster-role", controller.DefaultUnitClusterRole, "ClusterRole the operator binds itself to in each unit namespace (config/rbac/unit_role.yaml)")
	fs.StringVar(&f.ProbeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz (0 disables them)")
	fs.BoolVar(&f.LeaderElect, "leader-elect", false, "use a Lease so that only one replica reconciles at a time")
	fs.StringVar(&f.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: the pod's namespace)")
	fs.StringVar(&f.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)")
	fs.Float64Var(&f.KubeQPS, "kube-api-qps", 0, "client-side rate limit towards the Kubernetes API (0: off, rely on API priority and fairness)")
	fs.IntVar(&f.KubeBurst, "kube-api-burst", 0, "burst of the client-side rate limit")
	fs.StringVar(&f.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.LogFormat, "log-format", "json", "json or text")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: kalyan-operator --api-url URL --api-token-file FILE [flags]\n"+
			"       kalyan-operator onboard --file config/units/units.csv [--apply] (see onboard -h)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Flags{}, err
	}
	if fs.NArg() > 0 {
		return Flags{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.APIURL == "" || f.APITokenFile == "" {
		return Flags{}, errors.New("--api-url and --api-token-file are required")
	}
	if f.MaxConcurrentReconciles < 1 {
		return Flags{}, errors.New("--max-concurrent-reconciles must be at least 1")
	}
	return f, nil
}

// Run parses args and runs the operator until ctx is cancelled.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(stderr, f.LogLevel, f.LogFormat)
	if err != nil {
		return err
	}
	ctrl.SetLogger(logr.FromSlogHandler(logger.Handler()))

	cfg, err := kube.Config(f.Kubeconfig, float32(f.KubeQPS), f.KubeBurst)
	if err != nil {
		return err
	}
	scheme, err := kube.Scheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   controller.CacheOptions(),
		Metrics:                 metricsOptions(f),
		HealthProbeBindAddress:  f.ProbeAddr,
		LeaderElection:          f.LeaderElect,
		LeaderElectionID:        "kalyan-operator.kalyan.dev",
		LeaderElectionNamespace: f.LeaderElectionNamespace,
		// Stop reconciling as soon as leadership is handed over on shutdown.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	api, err := apiclient.New(f.APIURL, f.APITokenFile, &http.Client{Timeout: f.APITimeout})
	if err != nil {
		return err
	}
	m, err := controller.NewMetrics(metrics.Registry, mgr.GetClient())
	if err != nil {
		return err
	}
	defer m.Unregister(metrics.Registry)
	build := buildinfo.Collector()
	if err := metrics.Registry.Register(build); err != nil {
		return fmt.Errorf("register build info: %w", err)
	}
	defer metrics.Registry.Unregister(build)
	r, err := controller.New(mgr, api, m, controller.Options{
		PlatformNamespace:       f.PlatformNamespace,
		RegistrationRefresh:     f.RegistrationRefresh,
		RecheckInterval:         f.RecheckInterval,
		BackoffBase:             f.BackoffBase,
		BackoffMax:              f.BackoffMax,
		MaxConcurrentReconciles: f.MaxConcurrentReconciles,
		UnitClusterRole:         f.UnitClusterRole,
	})
	if err != nil {
		return err
	}
	if err := r.SetupWithManager(ctx, mgr); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("cache", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("cache not synced")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("add ready check: %w", err)
	}
	logger.Info("starting kalyan-operator", "version", buildinfo.Get().Version, "revision", buildinfo.Get().Revision, "apiURL", f.APIURL, "platformNamespace", f.PlatformNamespace,
		"maxConcurrentReconciles", f.MaxConcurrentReconciles, "leaderElect", f.LeaderElect)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run manager: %w", err)
	}
	return nil
}

// metricsOptions serves metrics as kubebuilder v4 scaffolds: HTTPS, and only to callers the API server
// authenticates and authorises for GET /metrics (the metrics-reader ClusterRole grants it).
func metricsOptions(f Flags) metricsserver.Options {
	o := metricsserver.Options{BindAddress: f.MetricsAddr}
	if f.MetricsSecure {
		o.SecureServing = true
		o.FilterProvider = filters.WithAuthenticationAndAuthorization
		o.CertDir = f.MetricsCertDir
		// HTTP/2 is off, as kubebuilder scaffolds, against the HTTP/2 Rapid Reset and Stream
		// Cancellation attacks (CVE-2023-44487, CVE-2023-39325).
		o.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}
	return o
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want json or text", format)
	}
}

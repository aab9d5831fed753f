package onboard

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kalyan-platform/kalyan/operator/internal/kube"
)

// Command runs `kalyan-operator onboard`: it reads the units dataset and prints the HospitalUnit
// manifests, or with --apply server-side-applies them to the cluster.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "config/units/units.csv", "units dataset (CSV: code,name_en,name_bn,level,division,district,upazila[,programmes,approval_threshold,min_donation,max_donation,bkash_secret,checkers,window_days,committee_quorum,committee_size])")
	apply := fs.Bool("apply", false, "apply the manifests to the cluster (server-side apply) instead of printing them")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)")
	concurrency := fs.Int("concurrency", 16, "applies in flight at once")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up applying after this long")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: kalyan-operator onboard --file units.csv [--apply] [--kubeconfig FILE]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("onboard: unexpected argument %q", fs.Arg(0))
	}

	f, err := os.Open(*file)
	if err != nil {
		return fmt.Errorf("open units dataset: %w", err)
	}
	defer f.Close()
	units, err := ParseCSV(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	if !*apply {
		return WriteYAML(stdout, units)
	}

	cfg, err := kube.Config(*kubeconfig, 0, 0)
	if err != nil {
		return err
	}
	scheme, err := kube.Scheme()
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	start := time.Now()
	res, err := Apply(ctx, c, units, *concurrency)
	fmt.Fprintf(stdout, "onboard: %d units applied in %s: %d created, %d updated, %d unchanged\n",
		len(units), time.Since(start).Round(time.Millisecond), res.Created, res.Updated, res.Unchanged)
	if err != nil {
		return fmt.Errorf("onboard: %w", err)
	}
	return nil
}

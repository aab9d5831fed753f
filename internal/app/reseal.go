package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/signing"
)

// ResealStore is what Reseal needs of the store: walks in _id order over what the seal key protects,
// compare-and-swap replacements of one record, and a checkpoint per step.
type ResealStore interface {
	UnitKeys(ctx context.Context, after string, fn func(signing.UnitKey) error) error
	ReplaceUnitKeySeal(ctx context.Context, ref string, old, sealed []byte, keyID string) (bool, error)
	Merchants(ctx context.Context, after string, fn func(signing.SealedMerchant) error) error
	ReplaceMerchantSeal(ctx context.Context, id string, rev int64, old, sealed []byte, keyID string) (bool, error)
	DonorRefs(ctx context.Context, after string, fn func(key, donation, donorRef string) error) error
	ReplaceDonorRef(ctx context.Context, key, old, ref string) (bool, error)
	DonorPhone(ctx context.Context, donation string) (string, error)
	Progress(ctx context.Context, keyID, step string) (string, error)
	SaveProgress(ctx context.Context, keyID, step, after string) error
}

// Reseal puts everything the seal key protects at rest under the ring's active key: the units'
// receipt signing keys and their bKash merchant credentials are re-sealed, and the donor references of
// receipts re-keyed. Afterwards the older keys can leave the ring (ADR 0008).
//
// It is idempotent (a record already under the active key is left alone), resumable (each step saves
// how far it got, per target key) and safe beside running api and workers (each replacement is a
// compare-and-swap of one record, and every replica opens both the old and the new form). The donor
// snapshots inside events are not re-sealed: Kafka's copies cannot be rewritten, and a consumer that
// cannot open one reads the donation instead (ADR 0005).
type Reseal struct {
	Store  ResealStore
	Sealer *signing.Sealer
	// Progress, if set, is told how each step advances (at most every ProgressEvery and at its end).
	Progress      func(ResealProgress)
	ProgressEvery time.Duration
	// CheckpointEvery is how many records pass between saved checkpoints (default 200).
	CheckpointEvery int
	Now             func() time.Time
}

// Reseal steps, in order.
const (
	ResealUnitKeys  = "unit-keys"
	ResealMerchants = "merchants"
	ResealDonorRefs = "donor-refs"
)

// ResealProgress counts one step's records.
type ResealProgress struct {
	Step string
	// Seen records, of which Changed were re-sealed or re-keyed, Current already were, Skipped changed
	// meanwhile (someone else wrote them: they are under the active key already or will be next run).
	Seen, Changed, Current, Skipped int
	// Failed could not be opened with any key of the ring (they are listed in the error).
	Failed int
	// Resumed is where the step started, "" from the beginning.
	Resumed string
	Done    bool
}

// ErrResealIncomplete means some records could not be opened with any key of the ring.
var ErrResealIncomplete = errors.New("some records could not be re-sealed")

// Run runs every step and returns their counts.
func (r *Reseal) Run(ctx context.Context) ([]ResealProgress, error) {
	target := r.Sealer.ID()
	if target == "" {
		return nil, signing.ErrNoSealKey
	}
	var (
		out  []ResealProgress
		errs []error
	)
	for _, step := range []struct {
		name string
		run  func(context.Context, string, *stepState) error
	}{
		{ResealUnitKeys, r.unitKeys},
		{ResealMerchants, r.merchants},
		{ResealDonorRefs, r.donorRefs},
	} {
		after, err := r.Store.Progress(ctx, target, step.name)
		if err != nil {
			return out, err
		}
		st := &stepState{r: r, target: target, p: ResealProgress{Step: step.name, Resumed: after}, after: after}
		err = step.run(ctx, after, st)
		if err == nil {
			err = st.save(ctx, true)
		}
		out = append(out, st.p)
		if err != nil {
			return out, fmt.Errorf("reseal %s: %w", step.name, err)
		}
		errs = append(errs, st.failures...)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%w: %w", ErrResealIncomplete, errors.Join(errs...))
	}
	return out, nil
}

// stepState tracks one step: its counts, its checkpoint and when progress was last reported.
type stepState struct {
	r        *Reseal
	target   string
	p        ResealProgress
	after    string
	failures []error
	told     time.Time
}

// record notes that the record with id was dealt with, saving and reporting progress when due.
func (st *stepState) record(ctx context.Context, id string) error {
	st.after = id
	every := st.r.CheckpointEvery
	if every <= 0 {
		every = 200
	}
	if st.p.Seen%every == 0 {
		if err := st.r.Store.SaveProgress(ctx, st.target, st.p.Step, st.after); err != nil {
			return err
		}
	}
	if st.r.Progress != nil && st.r.now().Sub(st.told) >= st.r.ProgressEvery {
		st.told = st.r.now()
		st.r.Progress(st.p)
	}
	return ctx.Err()
}

func (st *stepState) save(ctx context.Context, done bool) error {
	if st.after != "" {
		if err := st.r.Store.SaveProgress(ctx, st.target, st.p.Step, st.after); err != nil {
			return err
		}
	}
	st.p.Done = done
	if st.r.Progress != nil {
		st.r.Progress(st.p)
	}
	return nil
}

func (st *stepState) fail(id string, err error) {
	st.p.Failed++
	st.failures = append(st.failures, fmt.Errorf("%s %s: %w", st.p.Step, id, err))
}

func (r *Reseal) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// current reports whether a sealed value is already in the active key's form.
func (r *Reseal) current(sealed []byte, target string) bool {
	return signing.SealedKeyID(sealed) == target
}

func (r *Reseal) unitKeys(ctx context.Context, after string, st *stepState) error {
	return r.Store.UnitKeys(ctx, after, func(k signing.UnitKey) error {
		st.p.Seen++
		ref := k.Ref()
		switch {
		case r.current(k.Sealed, st.target):
			st.p.Current++
		default:
			seed, err := r.Sealer.Open(k.Sealed, keyAAD(ref))
			if err != nil {
				st.fail(ref, fmt.Errorf("sealed under %s: %w", k.SealKeyID, err))
				break
			}
			sealed, err := r.Sealer.Seal(seed, keyAAD(ref))
			if err != nil {
				return err
			}
			ok, err := r.Store.ReplaceUnitKeySeal(ctx, ref, k.Sealed, sealed, signing.SealedKeyID(sealed))
			if err != nil {
				return err
			}
			st.count(ok)
		}
		return st.record(ctx, ref)
	})
}

func (r *Reseal) merchants(ctx context.Context, after string, st *stepState) error {
	return r.Store.Merchants(ctx, after, func(m signing.SealedMerchant) error {
		st.p.Seen++
		switch {
		case r.current(m.Sealed, st.target):
			st.p.Current++
		default:
			plain, err := r.Sealer.Open(m.Sealed, merchantAAD(m.ID))
			if err != nil {
				st.fail(m.ID, fmt.Errorf("sealed under %s: %w", m.SealKeyID, err))
				break
			}
			sealed, err := r.Sealer.Seal(plain, merchantAAD(m.ID))
			if err != nil {
				return err
			}
			ok, err := r.Store.ReplaceMerchantSeal(ctx, m.ID, m.Rev, m.Sealed, sealed, signing.SealedKeyID(sealed))
			if err != nil {
				return err
			}
			st.count(ok)
		}
		return st.record(ctx, m.ID)
	})
}

func (r *Reseal) donorRefs(ctx context.Context, after string, st *stepState) error {
	return r.Store.DonorRefs(ctx, after, func(key, donation, old string) error {
		st.p.Seen++
		phone, err := r.Store.DonorPhone(ctx, donation)
		if err != nil {
			st.fail(key, err)
			return st.record(ctx, key)
		}
		ref, err := r.Sealer.DonorRef(phone)
		if err != nil {
			return err
		}
		if ref == old {
			st.p.Current++
			return st.record(ctx, key)
		}
		ok, err := r.Store.ReplaceDonorRef(ctx, key, old, ref)
		if err != nil {
			return err
		}
		st.count(ok)
		return st.record(ctx, key)
	})
}

func (st *stepState) count(replaced bool) {
	if replaced {
		st.p.Changed++
	} else {
		st.p.Skipped++
	}
}

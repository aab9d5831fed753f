package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/money"
	kunits "github.com/kalyan-platform/kalyan/internal/units"
)

// at is a fixed instant in UTC with millisecond precision (what a store
// keeps), min minutes after the first.
func at(min int) time.Time {
	return time.Date(2026, 7, 1, 10, 30, 0, 0, time.UTC).Add(time.Duration(min) * time.Minute)
}

func unit(code string) *kunits.Unit {
	return &kunits.Unit{Code: code, Names: kunits.Names{EN: code, BN: code}, Level: kunits.Level("district"), Division: "dhaka",
		District: "dhaka", Policy: kunits.DefaultPolicy(), Status: kunits.Status("active"), CreatedAt: at(0), UpdatedAt: at(0)}
}

func units(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Units.Get(ctx, "nosuch"); !errors.Is(err, kunits.ErrNotFound) {
		t.Fatalf("unknown unit: %v", err)
	}
	b, a := unit("b-unit"), unit("a-unit")
	a.Merchant = &kunits.MerchantRef{ID: "0177", Rev: 7}
	for _, u := range []*kunits.Unit{b, a} {
		if err := s.Units.Put(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	// Last writer wins: the registration is the whole document.
	a.Names.EN, a.Merchant = "A unit", nil
	if err := s.Units.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Units.Get(ctx, "a-unit")
	if err != nil || got.Names.EN != "A unit" || got.Merchant != nil || got.Policy.MinDonation != money.Taka(10) {
		t.Fatalf("a-unit after replace: %+v %v", got, err)
	}
	// What a caller does to a unit it read is not stored.
	got.Policy.Programmes[0] = "changed"
	if again, _ := s.Units.Get(ctx, "a-unit"); again.Policy.Programmes[0] == "changed" {
		t.Fatal("a read unit shares memory with the stored one")
	}
	all, err := s.Units.List(ctx)
	if err != nil || len(all) != 2 || all[0].Code != "a-unit" || all[1].Code != "b-unit" {
		t.Fatalf("list: %+v %v", all, err)
	}
}

func claims(t *testing.T, s Store) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cl   interface {
			Claim(context.Context, string, string, time.Time) (string, bool, error)
			Release(context.Context, string, string) error
		}
	}{{"slugs", s.Slugs}, {"keys", s.Keys}} {
		t.Run(c.name, func(t *testing.T) {
			if held, took, err := c.cl.Claim(ctx, "dmch", "unit", at(0)); err != nil || !took || held != "unit" {
				t.Fatalf("first claim: %s %v %v", held, took, err)
			}
			// A second claim, even by the same holder, learns who holds it
			// and did not take it (it must not release it).
			for _, h := range []string{"link", "unit"} {
				if held, took, err := c.cl.Claim(ctx, "dmch", h, at(1)); err != nil || took || held != "unit" {
					t.Fatalf("claim by %s: %s %v %v", h, held, took, err)
				}
			}
			if err := c.cl.Release(ctx, "dmch", "link"); err != nil {
				t.Fatal(err)
			}
			if held, _, _ := c.cl.Claim(ctx, "dmch", "link", at(2)); held != "unit" {
				t.Fatalf("released by a non-holder: now %s", held)
			}
			if err := c.cl.Release(ctx, "dmch", "unit"); err != nil {
				t.Fatal(err)
			}
			if held, took, err := c.cl.Claim(ctx, "dmch", "link", at(3)); err != nil || !took || held != "link" {
				t.Fatalf("claim after release: %s %v %v", held, took, err)
			}
		})
	}
}

func linksSuite(t *testing.T, s Store) {
	ctx := context.Background()
	mk := func(slug, unit string, min int) *links.Link {
		return &links.Link{Slug: slug, Unit: unit, TitleEN: slug, TitleBN: slug, Kind: "zakat",
			Amounts: []money.Amount{money.Taka(500)}, CreatedBy: "ua-1", CreatedAt: at(min)}
	}
	for _, l := range []*links.Link{mk("eid", "dmch", 1), mk("ramadan", "dmch", 2), mk("other", "rmch", 3)} {
		if err := s.Links.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Links.Create(ctx, mk("eid", "rmch", 4)); !errors.Is(err, links.ErrTaken) {
		t.Fatalf("second link with a slug: %v", err)
	}
	if _, err := s.Links.Get(ctx, "nosuch"); !errors.Is(err, links.ErrNotFound) {
		t.Fatalf("unknown link: %v", err)
	}
	if err := s.Links.SetDisabled(ctx, "nosuch", true); !errors.Is(err, links.ErrNotFound) {
		t.Fatalf("disable unknown link: %v", err)
	}
	if err := s.Links.SetDisabled(ctx, "eid", true); err != nil {
		t.Fatal(err)
	}
	l, err := s.Links.Get(ctx, "eid")
	if err != nil || !l.Disabled || l.Unit != "dmch" || len(l.Amounts) != 1 || !l.CreatedAt.Equal(at(1)) {
		t.Fatalf("eid: %+v %v", l, err)
	}
	ls, err := s.Links.ForUnit(ctx, "dmch")
	if err != nil || len(ls) != 2 || ls[0].Slug != "ramadan" || ls[1].Slug != "eid" {
		t.Fatalf("dmch's links, newest first: %+v %v", ls, err)
	}
}

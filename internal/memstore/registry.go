package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Units is the unit registry (app.UnitStore): last writer wins.
type Units struct{ s *Store }

// Units returns the unit registry.
func (s *Store) Units() *Units { return &Units{s: s} }

// Get returns the unit, or units.ErrNotFound.
func (r *Units) Get(_ context.Context, code string) (*units.Unit, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	u, ok := r.s.units[code]
	if !ok {
		return nil, units.ErrNotFound
	}
	u = cloneUnit(u)
	return &u, nil
}

// Put registers or replaces a unit.
func (r *Units) Put(_ context.Context, u *units.Unit) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.s.units[u.Code] = cloneUnit(*u)
	return nil
}

// List returns every unit by code.
func (r *Units) List(_ context.Context) ([]units.Unit, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	out := make([]units.Unit, 0, len(r.s.units))
	for _, u := range r.s.units {
		out = append(out, cloneUnit(u))
	}
	slices.SortFunc(out, func(a, b units.Unit) int { return cmp.Compare(a.Code, b.Code) })
	return out, nil
}

// Links is the donation link repository (app.LinkStore), unique by slug.
type Links struct{ s *Store }

// Links returns the link repository.
func (s *Store) Links() *Links { return &Links{s: s} }

// Create stores l, or returns links.ErrTaken.
func (r *Links) Create(_ context.Context, l *links.Link) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.links[l.Slug]; ok {
		return links.ErrTaken
	}
	r.s.links[l.Slug] = cloneLink(*l)
	return nil
}

// Get returns the link, or links.ErrNotFound.
func (r *Links) Get(_ context.Context, slug string) (*links.Link, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	l, ok := r.s.links[slug]
	if !ok {
		return nil, links.ErrNotFound
	}
	l = cloneLink(l)
	return &l, nil
}

// SetDisabled switches a link off or on; links.ErrNotFound if unknown.
func (r *Links) SetDisabled(_ context.Context, slug string, disabled bool) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	l, ok := r.s.links[slug]
	if !ok {
		return links.ErrNotFound
	}
	l.Disabled = disabled
	r.s.links[slug] = l
	return nil
}

// ForUnit lists a unit's links, newest first.
func (r *Links) ForUnit(_ context.Context, unit string) ([]links.Link, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []links.Link
	for _, l := range r.s.links {
		if l.Unit == unit {
			out = append(out, cloneLink(l))
		}
	}
	slices.SortFunc(out, func(a, b links.Link) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.Slug, b.Slug))
	})
	return out, nil
}

// Totals counts, per link, the gifts given through it that were paid (as
// the MongoDB adapter: a gift counts once, whatever became of it later).
func (r *Links) Totals(_ context.Context, slugs []string) (map[string]links.Total, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	out := make(map[string]links.Total, len(slugs))
	for _, vs := range r.s.donations {
		for _, d := range vs {
			if d.Status == donations.Paid && d.Link != "" && slices.Contains(slugs, d.Link) {
				t := out[d.Link]
				t.Gifts++
				t.Amount += d.Amount
				out[d.Link] = t
				break
			}
		}
	}
	return out, nil
}

// Claims are names taken once (app.Claims): the first claim wins, later
// ones learn the holder.
type Claims struct {
	s  *Store
	ns string
}

// IdempotencyKeys returns the Idempotency-Key → ID map.
func (s *Store) IdempotencyKeys() *Claims { return &Claims{s: s, ns: "keys"} }

// Slugs returns the slug registry.
func (s *Store) Slugs() *Claims { return &Claims{s: s, ns: "slugs"} }

// Claim records holder for name unless it is held: it returns the holder
// and whether this call took it.
func (c *Claims) Claim(_ context.Context, name, holder string, _ time.Time) (string, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	names := c.s.claims[c.ns]
	if names == nil {
		names = map[string]string{}
		c.s.claims[c.ns] = names
	}
	if held, ok := names[name]; ok {
		return held, false, nil
	}
	names[name] = holder
	return holder, true, nil
}

// Release gives up name if holder holds it.
func (c *Claims) Release(_ context.Context, name, holder string) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.s.claims[c.ns][name] == holder {
		delete(c.s.claims[c.ns], name)
	}
	return nil
}

package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
)

// AidRequests is the aid request repository (app.AidStore, app.GrantClaims).
type AidRequests struct{ s *Store }

// AidRequests returns the aid request repository.
func (s *Store) AidRequests() *AidRequests { return &AidRequests{s: s} }

// Create stores q as version 1; aid.ErrExists if its ID is taken.
func (r *AidRequests) Create(_ context.Context, q *aid.Request) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.requests[q.ID]; ok {
		return fmt.Errorf("store aid request %s: %w", q.ID, aid.ErrExists)
	}
	q.Version = 1
	r.s.requests[q.ID] = []aid.Request{cloneRequest(*q)}
	r.s.order = append(r.s.order, q.ID)
	return nil
}

// Get returns the latest version, or aid.ErrNotFound.
func (r *AidRequests) Get(_ context.Context, id string) (*aid.Request, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	vs, ok := r.s.requests[id]
	if !ok {
		return nil, aid.ErrNotFound
	}
	q := cloneRequest(vs[len(vs)-1])
	return &q, nil
}

// History returns every version, oldest first.
func (r *AidRequests) History(_ context.Context, id string) ([]aid.Request, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	vs, ok := r.s.requests[id]
	if !ok {
		return nil, aid.ErrNotFound
	}
	out := make([]aid.Request, len(vs))
	for i, q := range vs {
		out[i] = cloneRequest(q)
	}
	return out, nil
}

// Update applies fn to the latest version and stores the next one;
// aid.ErrNoChange from fn stores nothing.
func (r *AidRequests) Update(ctx context.Context, id string, fn func(*aid.Request) error) (*aid.Request, error) {
	return r.UpdateFrom(ctx, id, nil, fn)
}

// UpdateFrom is Update starting from a version the caller just read.
func (r *AidRequests) UpdateFrom(ctx context.Context, id string, from *aid.Request, fn func(*aid.Request) error) (*aid.Request, error) {
	if from != nil {
		cp := cloneRequest(*from)
		from = &cp
	}
	return updateChain(ctx, "aid request", id, from, fn, aid.ErrNoChange,
		func(id string) (*aid.Request, error) { return r.Get(ctx, id) },
		func(q *aid.Request) *int { return &q.Version },
		func(q *aid.Request) { q.Outbox = nil },
		func(q *aid.Request) error {
			r.s.mu.Lock()
			defer r.s.mu.Unlock()
			vs := r.s.requests[id]
			if len(vs) != q.Version-1 {
				return errVersionTaken
			}
			r.s.requests[id] = append(vs, cloneRequest(*q))
			return nil
		})
}

// latest returns every request's latest version, newest request first
// (the MongoDB adapter's order: by creation time, descending).
func (r *AidRequests) latest(keep func(q *aid.Request) bool) []aid.Request {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []aid.Request
	for _, id := range r.s.order {
		vs := r.s.requests[id]
		if q := vs[len(vs)-1]; keep(&q) {
			out = append(out, cloneRequest(q))
		}
	}
	return out
}

// List returns the latest versions matching f, newest first.
func (r *AidRequests) List(_ context.Context, f aid.Filter) ([]aid.Request, error) {
	out := r.latest(func(q *aid.Request) bool {
		p := q.Patient
		return (f.Unit == "" || q.Unit == f.Unit) &&
			(f.Patient == "" || p.NID == f.Patient || p.Mobile == f.Patient || p.IDKey == f.Patient) &&
			(f.BirthDate == "" || p.BirthDate == f.BirthDate) &&
			(f.Since.IsZero() || !q.CreatedAt.Before(f.Since))
	})
	slices.SortStableFunc(out, func(a, b aid.Request) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return f.Page(f.Statuses(out)), nil
}

// ApprovedSince returns the latest version of every request approved since
// since whose patient has this identity key, NID as written or mobile.
func (r *AidRequests) ApprovedSince(_ context.Context, idKey, nid, mobile string, since time.Time) ([]aid.Request, error) {
	if idKey == "" && nid == "" && mobile == "" {
		return nil, nil
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []aid.Request
	for _, id := range r.s.order {
		vs := r.s.requests[id]
		for i := len(vs) - 1; i >= 0; i-- {
			q, p := vs[i], vs[i].Patient
			if !q.ApprovedAt.IsZero() && !q.ApprovedAt.Before(since) &&
				((idKey != "" && p.IDKey == idKey) || (nid != "" && p.NID == nid) || (mobile != "" && p.Mobile == mobile)) {
				out = append(out, cloneRequest(q))
				break
			}
		}
	}
	return out, nil
}

// PatientRequests returns at most limit requests at their latest version,
// newest first, whose patient has this identity key, NID or mobile, in any
// unit.
func (r *AidRequests) PatientRequests(_ context.Context, idKey, nid, mobile string, limit int) ([]aid.Request, error) {
	if (idKey == "" && nid == "" && mobile == "") || limit <= 0 {
		return nil, nil
	}
	out := r.latest(func(q *aid.Request) bool {
		p := q.Patient
		return (idKey != "" && p.IDKey == idKey) || (nid != "" && p.NID == nid) || (mobile != "" && p.Mobile == mobile)
	})
	slices.SortStableFunc(out, func(a, b aid.Request) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// WindowEntries returns every window entry of these keys.
func (r *AidRequests) WindowEntries(_ context.Context, keys []string) ([]aid.WindowEntry, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []aid.WindowEntry
	for _, e := range r.s.window {
		if slices.Contains(keys, e.Key) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b aid.WindowEntry) int { return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Seq, b.Seq)) })
	return out, nil
}

// TakeWindow inserts the entries in order; aid.ErrWindowMoved when a slot
// (key, seq) is taken (the entries before it stay).
func (r *AidRequests) TakeWindow(_ context.Context, entries []aid.WindowEntry) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for _, e := range entries {
		k := e.Key + "#" + strconv.Itoa(e.Seq)
		if _, ok := r.s.window[k]; ok {
			return aid.ErrWindowMoved
		}
		e.At = e.At.UTC()
		r.s.window[k] = e
	}
	return nil
}

// ClaimGrant claims the one-time grant of key for request, or returns the
// claim that holds it.
func (r *AidRequests) ClaimGrant(_ context.Context, key, unit, request string, at time.Time) (aid.GrantClaim, bool, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if held, ok := r.s.grantClaims[key]; ok {
		return held, held.Request == request, nil
	}
	c := aid.GrantClaim{Key: key, Unit: unit, Request: request, At: at.UTC()}
	r.s.grantClaims[key] = c
	return c, true, nil
}

// ReleaseGrant gives back request's claim on key unless the grant was
// received.
func (r *AidRequests) ReleaseGrant(_ context.Context, key, request string) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.grantsReceived[key]; ok {
		return nil
	}
	if c, ok := r.s.grantClaims[key]; ok && c.Request == request {
		delete(r.s.grantClaims, key)
	}
	return nil
}

// ReceiveGrant records that request's grant was disbursed, once per key.
func (r *AidRequests) ReceiveGrant(_ context.Context, key, unit, request string, at time.Time) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if rec, ok := r.s.grantsReceived[key]; ok {
		if rec.Request != request {
			return fmt.Errorf("record grant received: the identity already received it through another request")
		}
		return nil
	}
	r.s.grantsReceived[key] = aid.GrantClaim{Key: key, Unit: unit, Request: request, At: at.UTC()}
	return nil
}

// GrantReceived returns the grant disbursed to key, or nil.
func (r *AidRequests) GrantReceived(_ context.Context, key string) (*aid.GrantClaim, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if rec, ok := r.s.grantsReceived[key]; ok {
		return &rec, nil
	}
	return nil, nil
}

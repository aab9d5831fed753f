package bkash

import (
	"context"
	"log/slog"
	"sync"
)

// spellings remembers which spelling of a field bKash was seen to use, so
// the process logs it once: public clients disagree on the query's
// verification field (pybkash models.py reads verificationStatus; bkash-js
// src/types/types.ts and dreygur/bkashgo read userVerificationStatus), and
// an operator wants to know which one the live API sends without a log line
// per payment. Both are read either way.
type spellings struct {
	mu   sync.Mutex
	seen map[string]bool
}

// note logs field's spelling the first time this process sees it.
func (s *spellings) note(ctx context.Context, log *slog.Logger, field, spelling string) {
	if s == nil || spelling == "" {
		return
	}
	key := field + "\x00" + spelling
	s.mu.Lock()
	first := !s.seen[key]
	if first {
		if s.seen == nil {
			s.seen = map[string]bool{}
		}
		s.seen[key] = true
	}
	s.mu.Unlock()
	if first {
		log.InfoContext(ctx, "bkash answer field spelling", "field", field, "spelling", spelling)
	}
}

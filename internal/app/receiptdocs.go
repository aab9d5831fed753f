package app

import (
	"crypto/sha256"
	"encoding/hex"

	"golang.org/x/sync/singleflight"
)

// DefaultReceiptCacheBytes bounds the receipt PDFs kept in memory.
const DefaultReceiptCacheBytes = 16 << 20

// receiptDocs keeps rendered receipt PDFs: a receipt never changes once
// signed, so its document is drawn once (issue #23: bounded cost of public
// routes) and found again by the receipt and a fingerprint of what was
// signed, so an edited record can never be served an old document.
type receiptDocs struct {
	flight singleflight.Group
	cache  docCache
}

// Document returns the PDF of the verified receipt v, rendering it with
// render only the first time (and once for concurrent requests).
func (s *ReceiptService) Document(v *ReceiptView, render func() ([]byte, error)) ([]byte, error) {
	h := sha256.New()
	h.Write([]byte(v.Content))
	h.Write([]byte{0})
	h.Write(v.Signature)
	h.Write([]byte{0})
	h.Write([]byte(v.KeyID))
	key := v.ID + "/" + hex.EncodeToString(h.Sum(nil)[:16])
	if e, ok := s.docs.cache.get(key); ok {
		return e.doc.PDF, nil
	}
	out, err, _ := s.docs.flight.Do(key, func() (any, error) {
		if e, ok := s.docs.cache.get(key); ok {
			return e.doc.PDF, nil
		}
		pdf, err := render()
		if err != nil {
			return nil, err
		}
		limit := s.CacheBytes
		if limit <= 0 {
			limit = DefaultReceiptCacheBytes
		}
		s.docs.cache.put(key, &StatementDoc{PDF: pdf}, timeZero, limit)
		return pdf, nil
	})
	if err != nil {
		return nil, err
	}
	return out.([]byte), nil
}

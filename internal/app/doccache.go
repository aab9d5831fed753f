package app

import (
	"container/list"
	"sync"
	"time"
)

// docCache keeps rendered documents within a byte budget, least recently
// stored dropped first. Safe for concurrent use.
type docCache struct {
	mu    sync.Mutex
	lru   *list.List // of *docEntry, most recent first
	byKey map[string]*list.Element
	bytes int
}

// timeZero stamps entries whose freshness does not matter.
var timeZero time.Time

type docEntry struct {
	key     string
	doc     *StatementDoc
	checked time.Time
}

func (c *docCache) get(key string) (docEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return docEntry{}, false
	}
	return *el.Value.(*docEntry), true
}

// put stores doc for key as checked at now, keeping at most limit bytes
// (and always the newest document).
func (c *docCache) put(key string, doc *StatementDoc, now time.Time, limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru == nil {
		c.lru, c.byKey = list.New(), map[string]*list.Element{}
	}
	if el, ok := c.byKey[key]; ok {
		c.bytes -= len(el.Value.(*docEntry).doc.PDF)
		c.lru.Remove(el)
	}
	c.byKey[key] = c.lru.PushFront(&docEntry{key: key, doc: doc, checked: now})
	c.bytes += len(doc.PDF)
	for c.bytes > limit && c.lru.Len() > 1 {
		old := c.lru.Back()
		e := old.Value.(*docEntry)
		c.bytes -= len(e.doc.PDF)
		delete(c.byKey, e.key)
		c.lru.Remove(old)
	}
}

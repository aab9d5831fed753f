package ledgerseed

import (
	"context"
	"fmt"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
)

// Write appends g's transactions to its unit through the store's own append
// path (AppendMany: ordered block inserts, balances, checkpoints) until gifts
// more gifts are in, and returns how many entries it wrote.
func (g *Gen) Write(ctx context.Context, book *mongostore.Ledger, gifts int) (int, error) {
	entries := 0
	for target := g.Gifts + gifts; g.Gifts < target; {
		block := make([]ledger.Transaction, 0, mongostore.MaxInsertBatch)
		for len(block) < mongostore.MaxInsertBatch && g.Gifts < target {
			block = append(block, g.Next())
		}
		sources := make([]string, len(block))
		for i, t := range block {
			sources[i] = t.ID
		}
		out, err := book.AppendMany(ctx, g.unit, sources, func(i int, _ map[string]money.Amount) (ledger.Transaction, error) { return block[i], nil })
		if err != nil {
			return entries, fmt.Errorf("seed %s: %w", g.unit, err)
		}
		for i, o := range out {
			if o.Err != nil {
				return entries, fmt.Errorf("seed %s: %s: %w", g.unit, block[i].ID, o.Err)
			}
			if o.Applied {
				entries++
			}
		}
	}
	return entries, nil
}

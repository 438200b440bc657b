package mempool

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/tinychain/tinychain/proto"
)

// maxDropped bounds the dropped txs the mempool remembers.
const maxDropped = 16_384

// DroppedTx is a tx that the mempool accepted and later let go without
// its being mined: outbid when full, replaced, or made invalid by a new
// head. The mempool remembers the latest ones so that whoever sent it
// learns why (GET /v1/txs/{hash}) instead of seeing it vanish.
type DroppedTx struct {
	Tx     *proto.Tx
	Reason string
}

func newDropped() *lru.Cache[common.Hash, DroppedTx] {
	c, err := lru.New[common.Hash, DroppedTx](maxDropped)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return c
}

// drop removes p and remembers why. MUST be called with mp.mu held.
func (mp *Mempool) drop(p *poolTx, format string, args ...any) {
	mp.removeLocked(p)
	mp.dropped.Add(p.tx.Hash(), DroppedTx{Tx: p.tx, Reason: fmt.Sprintf(format, args...)})
}

// Dropped returns why the mempool let the tx with hash h go, if it did
// lately (and it has not come back since).
func (mp *Mempool) Dropped(h common.Hash) (DroppedTx, bool) {
	return mp.dropped.Get(h)
}

package mempool

import (
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/golang-lru/v2/simplelru"
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
	Sender common.Address
	Reason string
}

// senderNonce names a sender's tx slot.
type senderNonce struct {
	from  common.Address
	nonce uint64
}

// droppedSet remembers the latest maxDropped dropped txs, by hash and by
// (sender, nonce): the latest dropped tx of each slot. Its own lock is a
// leaf: safe to use with mp.mu held or not.
type droppedSet struct {
	mu      sync.Mutex
	byHash  *simplelru.LRU[common.Hash, DroppedTx]
	byNonce map[senderNonce]common.Hash
}

func newDropped() *droppedSet {
	d := &droppedSet{byNonce: map[senderNonce]common.Hash{}}
	var err error
	d.byHash, err = simplelru.NewLRU(maxDropped, func(h common.Hash, v DroppedTx) {
		k := senderNonce{v.Sender, v.Tx.Nonce}
		if d.byNonce[k] == h {
			delete(d.byNonce, k)
		}
	})
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return d
}

func (d *droppedSet) add(v DroppedTx) {
	h := v.Tx.Hash()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byHash.Add(h, v)
	d.byNonce[senderNonce{v.Sender, v.Tx.Nonce}] = h
}

func (d *droppedSet) remove(h common.Hash) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byHash.Remove(h) // the eviction callback forgets its slot
}

func (d *droppedSet) get(h common.Hash) (DroppedTx, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byHash.Get(h)
}

func (d *droppedSet) bySender(from common.Address, nonce uint64) (DroppedTx, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h, ok := d.byNonce[senderNonce{from, nonce}]
	if !ok {
		return DroppedTx{}, false
	}
	return d.byHash.Get(h)
}

// drop removes p and remembers why. MUST be called with mp.mu held.
func (mp *Mempool) drop(p *poolTx, format string, args ...any) {
	mp.removeLocked(p)
	mp.dropped.add(DroppedTx{Tx: p.tx, Sender: p.sender, Reason: fmt.Sprintf(format, args...)})
}

// Dropped returns why the mempool let the tx with hash h go, if it did
// lately (and it has not come back since).
func (mp *Mempool) Dropped(h common.Hash) (DroppedTx, bool) {
	return mp.dropped.get(h)
}

// DroppedByNonce returns the latest tx that from sent with nonce and the
// mempool let go lately, as Dropped.
func (mp *Mempool) DroppedByNonce(from common.Address, nonce uint64) (DroppedTx, bool) {
	return mp.dropped.bySender(from, nonce)
}

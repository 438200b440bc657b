package mempool

import (
	"container/heap"
	"fmt"
)

// Eviction when the mempool (or its nonce-gap queue) is full.
//
// A runnable newcomer first evicts queued txs of other senders, whatever
// they pay: a tx that cannot run yet must not keep out one that can (txs
// stuck behind a gap, say after a relay dropped one of a sender's txs,
// would otherwise fill the pool for good and keep out the very tx that
// fills the gap). Then it evicts the cheapest among other senders' last
// runnable txs (a sender's highest nonce, so no gap opens) if it pays
// more. A queued newcomer only evicts queued txs of other senders that
// pay less: it never evicts a runnable tx. Of two equal prices the newer
// tx goes first. A sender never evicts its own txs, except that a lower
// queued nonce takes the place of its highest when its queue is full.
//
// Cost per evicted tx: O(log senders) for a runnable one (the tails heap),
// O(senders with queued txs) ≤ MaxTxs/8 map steps for a queued one. One
// newcomer evicts at most max_tx_bytes / (smallest tx size) txs.

// victim is a tx detached by makeRoomLocked, with its account (which may
// have left mp.accounts meanwhile) and the reason it will be remembered by.
type victim struct {
	p   *poolTx
	a   *account
	why string
}

// makeRoomLocked detaches victims until p fits (old, if set, is the tx p
// replaces and frees its room; own are txs of p's sender that go first:
// the ones p takes the funds of, and its highest queued tx when its
// queue is full). When p cannot fit it puts every victim back and
// returns an error wrapping ErrMempoolFull: the pool is then as it was.
// MUST be called with mp.mu held.
func (mp *Mempool) makeRoomLocked(a *account, p *poolTx, old *poolTx, queued bool, own []victim) ([]victim, error) {
	size := p.tx.Size()
	freeN, freeB := 0, 0
	if old != nil {
		freeN, freeB = 1, old.tx.Size()
	}
	over := func() bool {
		if len(mp.all)-freeN+1 > mp.cfg.MaxTxs || mp.bytes-freeB+size > mp.cfg.MaxBytes {
			return true
		}
		// old, if any, is queued too: a replacement keeps its place.
		return queued && (mp.queued-freeN+1 > mp.maxQueued || mp.queuedBytes-freeB+size > mp.maxQueuedBytes)
	}
	if !over() && len(own) == 0 {
		return nil, nil
	}
	var vs []victim
	detach := func(v *poolTx, why string) {
		vs = append(vs, victim{v, mp.accounts[v.sender], why})
		mp.removeLocked(v)
	}
	for _, v := range own {
		detach(v.p, v.why)
	}
	// The sender's own txs are no candidates: out of the heap meanwhile
	// (after its own victims left, which puts it back).
	if a.heapIdx >= 0 {
		heap.Remove(&mp.tails, a.heapIdx)
	}
	defer mp.fixLocked(a)
	price := p.tx.GasPrice
	for over() {
		if q := mp.queuedVictimLocked(a); q != nil && (!queued || q.tx.GasPrice < price) {
			why := "evicted: the mempool was full, it waited behind a nonce gap and %s can run (gas price %d, it paid %d)"
			if queued {
				why = "evicted: the nonce-gap queue was full and %s pays gas price %d (it paid %d)"
			}
			detach(q, fmt.Sprintf(why, p.tx.Hash(), price, q.tx.GasPrice))
			continue
		}
		if !queued && len(mp.tails) > 0 {
			if t := mp.tails[0].tail(); t.tx.GasPrice < price {
				detach(t, fmt.Sprintf("evicted: the mempool was full and %s pays gas price %d (it paid %d)", p.tx.Hash(), price, t.tx.GasPrice))
				continue
			}
		}
		for i := len(vs) - 1; i >= 0; i-- {
			mp.insertLocked(vs[i].a, vs[i].p)
		}
		if queued {
			return nil, fmt.Errorf("%w: the nonce-gap queue (txs above a missing nonce: at most %d txs, %d bytes) is full and gas price %d is too low to evict any of it",
				ErrMempoolFull, mp.maxQueued, mp.maxQueuedBytes, price)
		}
		return nil, fmt.Errorf("%w: gas price %d too low to evict anything", ErrMempoolFull, price)
	}
	return vs, nil
}

// queuedVictimLocked returns the queued tx to evict first: the cheapest
// among each sender's highest queued nonce (the newer of equal prices),
// not of exclude's sender. MUST be called with mp.mu held.
func (mp *Mempool) queuedVictimLocked(exclude *account) *poolTx {
	var v *poolTx
	for _, a := range mp.waiting {
		if a == exclude {
			continue
		}
		p := a.txs[a.maxN]
		if v == nil || p.tx.GasPrice < v.tx.GasPrice || p.tx.GasPrice == v.tx.GasPrice && p.seq > v.seq {
			v = p
		}
	}
	return v
}

// tailHeap orders the accounts with runnable txs by their last runnable
// tx: the cheapest first, the newer of equal prices first.
type tailHeap []*account

func (h tailHeap) Len() int { return len(h) }
func (h tailHeap) Less(i, j int) bool {
	a, b := h[i].tail(), h[j].tail()
	if a.tx.GasPrice != b.tx.GasPrice {
		return a.tx.GasPrice < b.tx.GasPrice
	}
	return a.seq > b.seq
}
func (h tailHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *tailHeap) Push(x any) {
	a := x.(*account)
	a.heapIdx = len(*h)
	*h = append(*h, a)
}
func (h *tailHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	a.heapIdx = -1
	return a
}

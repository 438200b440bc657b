package mempool

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// Held is a tx the mempool holds and where it stands: runnable (the miner
// may take it), or queued behind a nonce gap, in which case
// WaitingForNonce is the nonce its sender must send next.
type Held struct {
	Tx              *proto.Tx
	Sender          common.Address
	Queued          bool
	WaitingForNonce uint64
}

// Lookup returns the tx with hash h and where it stands, if the mempool
// holds it.
func (mp *Mempool) Lookup(h common.Hash) (Held, bool) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	p := mp.all[h]
	if p == nil {
		return Held{}, false
	}
	return mp.heldLocked(p), true
}

// LookupNonce returns the tx that from sent with nonce, if the mempool
// holds it.
func (mp *Mempool) LookupNonce(from common.Address, nonce uint64) (Held, bool) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	a := mp.accounts[from]
	if a == nil || a.txs[nonce] == nil {
		return Held{}, false
	}
	return mp.heldLocked(a.txs[nonce]), true
}

// heldLocked describes p. MUST be called with mp.mu held.
func (mp *Mempool) heldLocked(p *poolTx) Held {
	out := Held{Tx: p.tx, Sender: p.sender}
	if a := mp.accounts[p.sender]; a != nil && a.isQueued(p.tx.Nonce) {
		out.Queued, out.WaitingForNonce = true, a.nonce+uint64(a.run)
	}
	return out
}

package chain

import "github.com/ethereum/go-ethereum/common"

// When the mempool is full, a tx that cannot run yet (its sender has a
// nonce missing below it) goes before any tx that can: otherwise txs
// stuck behind a gap, say after a relay dropped one of a sender's txs,
// fill the pool for good and keep out the very tx that would fill the gap.

// victimLocked picks the tx to evict for a newcomer from sender: the
// cheapest stuck tx of another sender if there is one (stuck reports
// that), else the cheapest tx among each sender's highest nonce.
//
// MUST be called with mp.mu held.
func (mp *Mempool) victimLocked(sender common.Address) (victim *poolTx, stuck bool) {
	for s, txs := range mp.bySender {
		var last *poolTx
		for _, p := range txs {
			if last == nil || p.tx.Nonce > last.tx.Nonce {
				last = p
			}
		}
		gap := s != sender && mp.hasGapLocked(s)
		switch {
		case victim == nil, gap && !stuck, gap == stuck && last.tx.GasPrice < victim.tx.GasPrice:
			victim, stuck = last, gap
		}
	}
	return victim, stuck
}

// hasGapLocked reports whether some pending tx of sender cannot run until
// a nonce that is not in the pool arrives (by the account nonce the pool
// last saw: no database read per sender). MUST be called with mp.mu held.
func (mp *Mempool) hasGapLocked(sender common.Address) bool {
	txs := mp.bySender[sender]
	base := mp.nonces[sender]
	n := base
	for txs[n] != nil {
		n++
	}
	return int(n-base) < len(txs)
}

// runnableLocked reports whether a tx of sender with nonce would run next
// (no nonce missing below it). MUST be called with mp.mu held.
func (mp *Mempool) runnableLocked(accountNonce uint64, sender common.Address, nonce uint64) bool {
	n := accountNonce
	for mp.bySender[sender][n] != nil {
		n++
	}
	return nonce <= n
}

// Package mempool holds the valid transactions waiting for a block: per
// sender in nonce order, across senders by gas price, bounded in count
// and bytes, with the replacement, eviction and nonce-gap rules of
// docs/PROTOCOL.md section 7 (mempool.go, evict.go), the order a miner
// takes them in (price.go) and why recent txs left (dropped.go).
//
// It knows the chain only through the Chain interface (the rules'
// parameters and clock, a head-state view, the tx index, head events),
// which *blockchain.Chain implements; it checks each tx with chain.CheckTx and
// against the head state, and follows the head through the events.
//
// Lifecycle: the mempool starts no goroutine. Add runs on its caller's
// goroutine; the head updates run on the chain's event delivery. One
// mutex guards the pool; callbacks (OnAdd) run outside it.
package mempool

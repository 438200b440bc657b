// Package blockchain owns the block tree of tinychain and its LevelDB
// store: the block index with cumulative work and status (index.go), block
// admission (process.go), orphan headers and held future blocks
// (orphans.go, process.go), fork choice and reorganisations (reorg.go), the
// LevelDB layout and writes (store.go, storage.go; the state's keys are
// chain's statedb.go), read-side queries (query.go, addrindex.go,
// gasprice.go) and the consistency check (verify.go). The rules it applies
// are package chain's.
//
// ProcessBlockFrom (process.go) admits a block cheapest check first: the
// header alone (CheckHeader: one hash); an unknown parent keeps the header
// only, in a pool bounded in all and per peer (orphans.go); a chain whose
// work is below the anti-DoS threshold (the head's minus 144 blocks' work;
// for gossip, the head's) is refused before its body is read; a timestamp
// beyond 2 × max_future_ms is refused, one beyond max_future_ms held in a
// bounded set until its time comes; only then CheckBlock and the header
// against its parent. What passes is stored and indexed with its
// cumulative work and a status (stored, valid, invalid, invalid-ancestor).
// The head is the valid tip with the most work, the first seen on a tie;
// the tips are ordered (index.go), and those that fall below the threshold
// are pruned with their branch (reorg.go, process.go). Moving the head
// disconnects blocks with their undo data and connects blocks by executing
// them; each block is one atomic LevelDB batch (block, index, state,
// Merkle nodes, undo, receipts, tx index, head pointer), so a crash at any
// moment leaves a consistent head. chain.IsPeerFault says which
// errors the sender of a block could have seen without state.
//
// Chain is safe for concurrent use: one lock (Chain.mu) serialises block
// processing and guards the index; readers of the state use LevelDB
// snapshots. Head events are delivered in order, outside that lock, by
// one goroutine at a time (notifyMu), on the goroutine that moved the head.
//
// In a node that goroutine is the Importer's (importer.go): the one owner
// of block admission, as btcd's netsync blockHandler. Gossip, sync and the
// miner hand it blocks (Submit waits for room, TrySubmit does not) and
// wait for its verdict; it alone calls ProcessBlockFrom and
// RetryFutureBlocks there. Precheck gives a validator, under the read
// lock only, the verdict of the checks before the body (known, header and
// PoW, parent lookup, work threshold, hold horizon). Listeners subscribed
// through the Importer (listeners.go) run each on a goroutine of its own
// behind a queue of ImporterConfig.ListenerQueue events that, once full,
// merges newer events into its last (the newest head and every block are
// kept, up to maxMergedBlocks; event boundaries are not), so no listener
// delays an import. Lock order: Chain.mu, evMu, notifyMu, Importer.mu,
// a listener's queue lock (a leaf).
package blockchain

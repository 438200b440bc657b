// Package chain owns tinychain's consensus: blocks, proof of work and
// difficulty (ASERT), validation, the state transition (transfers and
// Brainfuck contracts), fork choice and reorganisations, and the LevelDB
// store. The mempool (chain/mempool) and the miner (chain/miner) are
// packages of their own that see the chain through small interfaces;
// chain/smt is the sparse Merkle tree of the state.
//
// # Rules, in the order they are checked
//
// A transaction alone (CheckTx): size ≤ max_tx_bytes; chain id; kind, and
// the recipient it takes (transfer and call: non-zero; deploy and exec:
// zero); exec carries no value; deploy and exec code balances its
// brackets; gas_price ≥ min_gas_price; gas_limit ≥ intrinsic gas (1,000 +
// 16 per data byte); gas_limit ≤ block_gas_limit; value + gas_limit ×
// gas_price without overflow; a low-S signature that recovers the sender.
//
// A block alone (CheckBlock): size ≤ max_block_bytes; version; height > 0;
// target in (0, pow_limit]; SHA-256 of the header ≤ target; tx_root; no tx
// twice; every tx (signatures recovered in parallel).
//
// A header against its parent (CheckHeaderContext): height = parent + 1;
// target = the ASERT target (NextTarget); timestamp > median of the last
// 11; timestamp ≤ clock + max_future_ms, else the block is held and
// retried (up to 2 × max_future_ms ahead) or refused, never marked invalid.
//
// A block against the state (ApplyBlock, then the roots): for each tx in
// order, gas_limit ≤ gas left in the block, nonce = the account's, balance
// ≥ value + gas_limit × gas_price; its execution (a failed run keeps its
// fee and nonce bump and reverts the rest); the miner is credited reward
// (halving) + fees without overflow; receipts_root; state_root.
//
// Each broken rule is a *RuleError with an ErrorCode (errors.go), which
// errors.Is matches and peers and tests read by name.
//
// # Fork choice and storage
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
// moment leaves a consistent head. IsPeerFault (errors.go) says which
// errors the sender of a block could have seen without state.
//
// Consensus code (validate.go, execute.go, pow.go, merkle.go) does no I/O
// and reads no clock: the State it runs on is a view over a LevelDB
// snapshot, and `now` is an argument.
package chain

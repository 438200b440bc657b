// Package chain owns tinychain's consensus rules: the genesis parameters
// (params.go), the rule errors (errors.go), proof of work and difficulty
// (pow.go, ASERT), validation of txs, blocks and headers (validate.go,
// headers.go), Merkle roots (merkle.go) and the state transition
// (execute.go, and eval.go for dry runs) over the small StateDB interface
// (statedb.go).
//
// The state itself (accounts, code, tapes, its journal and undo data) is
// chain/state's; chain/smt is its sparse Merkle tree; chain/store is the
// database (the only package that imports LevelDB). The block tree, fork
// choice and reorganisations are chain/blockchain's; the mempool and the
// miner are chain/mempool and chain/miner.
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
// The rules do no I/O and read no clock: the StateDB they run on is given
// to them, and `now` is an argument.
package chain

// Package light is the header-only side of tinychain: a store of checked
// block headers (Store), synced from full nodes over libp2p (SyncFrom),
// that proofs (package chain/proof) are checked against.
//
// A Store keeps every header it accepted in LevelDB (a record of about
// 300 bytes each) and, in memory, a small node per header (hash, parent,
// height, timestamp, cumulative work): enough for the same header checks
// as a full node's headers-first sync (chain.CheckHeaderOnly: proof of
// work under the ASERT target, timestamps, height; the genesis
// checkpoints) and for heaviest-work fork choice over headers alone. It
// holds no body, no state and no tx.
//
// Not yet here: following new heads by gossip, syncing from several peers
// at once with penalties, and the `tinychain light` command that answers
// the HTTP API with verified proofs.
package light

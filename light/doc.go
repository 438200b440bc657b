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
// Store.Account answers an account query the light-client way: it asks
// full nodes for a proof against the best chain's header some blocks deep
// (/proof/1, gossip.FetchAccountProof), checks it with package
// chain/proof, and names every node whose proof did not verify (ErrLied)
// while taking the answer from the next.
//
// Not yet here: following new heads by gossip, syncing from several peers
// at once with penalties, tx answers, and the `tinychain light` command
// that serves the HTTP API from verified proofs.
package light

// Package light is the header-only side of tinychain: a store of checked
// block headers (Store), synced from full nodes over libp2p (SyncFrom),
// that proofs (package chain/proof) are checked against.
//
// A Store keeps every header it accepted in LevelDB (a record of about
// 300 bytes each, a 1 MiB memtable and block cache) and, in memory, a
// small node per header (hash, parent, height, timestamp, cumulative work
// inline: 96 bytes, and ~30 more for its index entry keyed by 8 bytes of
// the hash; 100,000 headers are 23-26 MB of private memory in all on an
// idle machine, BenchmarkLightRSS): enough for the
// same header checks as a full node's headers-first sync
// (chain.CheckHeaderOnly: proof of work under the ASERT target,
// timestamps, height; the genesis checkpoints) and for heaviest-work fork
// choice over headers alone. It holds no body, no state and no tx.
//
// Store.Account answers an account query the light-client way: it asks
// full nodes for a proof against the best chain's header some blocks deep
// (/proof/1, gossip.FetchAccountProof), checks it with package
// chain/proof, and names every node whose proof did not verify (ErrLied)
// while taking the answer from the next.
//
// Store.ProveTx does the same for a tx and its receipt: the proof's block
// must be on our best chain with the confirmations asked for on top.
//
// Node (node.go) is the header-only node that `tinychain light` runs: a
// libp2p host (gossip.NewClientHost) that syncs headers from every
// connected peer in turn (on connect, and every 5 s), follows new heads
// by the block topic (gossip.SubscribeHeaders: it takes each block's
// header and relays nothing, since it cannot check a body; a header whose
// parent it lacks makes it sync from the sender), and serves an HTTP API
// (api.go) in the full node's JSON shapes whose account and tx answers
// come from proofs it verified against its own headers. A peer that serves
// a header failing a check, or a proof that does not verify, is logged
// with its peer id and struck (peers.go: 3 strikes in 10 minutes ban it
// by peer id), and the answer is taken from the next full node; peers
// with fewer strikes are asked first. GET /v1/peers is the peer table
// (Node.Peers: strikes, bans, which peers serve proofs). A full node that
// does not answer costs a query at most Config.ProofTimeout before the
// next is asked; api.go states what one request may cost in all.
//
// Trust: the genesis (and its checkpoints and min_chain_work) and that
// the heaviest valid header chain among the peers is the real one; a
// light node eclipsed by liars can be shown their heaviest chain (below
// min_chain_work it answers nothing) but never a balance or receipt that
// is not in a header of the chain it checked.
package light

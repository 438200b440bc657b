// Package node wires a tinychain node together: the chain (block tree,
// state, fork choice), its block importer, the mempool, the miner, the
// network and the HTTP API, with one lifecycle (New, Start, Close). It
// owns configuration and the API's JSON shapes; it holds no consensus
// logic of its own.
//
// Lifecycle, the same for every long-running part (Node, gossip.Network,
// blockchain.Importer, miner.Miner): New builds and starts no goroutine
// and listens nowhere (the node's New opens the database); Start runs it
// once (a second Start is blockchain.ErrStarted, one after Close an
// error); Close (Stop) is idempotent, may come before Start, and returns
// when every goroutine the part started has ended. The node starts the
// importer, then the network, the HTTP API and the miner; Close stops the
// block sources first (the miner, the network), then the API, then the
// importer with its listeners, then closes the database.
//
// Which goroutine runs what:
//
//   - the importer's one goroutine runs every block admission
//     (Chain.ProcessBlockFrom) and the retries of held future blocks; the
//     miner, the sync and the GossipSub validators hand it blocks and
//     wait for its verdict (blockchain.Importer);
//   - each head listener runs on a goroutine of its own behind a bounded
//     queue that coalesces when it lags: the mempool's update, the
//     miner's restart, the import log, the metrics, the event streams'
//     head, gossip's publishing of our blocks and re-announcing of
//     returned txs;
//   - GossipSub's validation goroutines decode, Precheck and recover
//     senders, and add gossiped txs to the mempool; gossip's own
//     goroutines run status exchanges, syncs, tx announces and requests,
//     and discovery;
//   - the miner's loop assembles and grinds (on its threads); the HTTP
//     server's goroutines answer reads, add submitted txs to the mempool
//     and run evals on snapshots.
//
// Lock order (a lock is only taken after those above it): Node.life;
// the parts' lifecycle locks (gossip's startMu then life; Importer.mu;
// Miner.mu); Chain.mu; Chain.evMu; Chain.notifyMu (event delivery, on
// the importer's goroutine); Importer.mu (fan-out); a listener's queue
// lock, a leaf. The mempool's lock is taken after a chain snapshot is
// made, never around a chain call that takes Chain.mu for writing; no
// one holds a lock while waiting for the importer's verdict.
//
// The HTTP API answers JSON on /v1: status, blocks, txs (with their
// status: included, pending, queued, dropped; txstatus.go), accounts and
// the mempool. Errors are 4xx/5xx with {"error": "...", "code":
// "<rule>"}; request bodies are bounded and read as JSON whatever their
// Content-Type says when they are JSON (request.go).
//
// The data dir: a node holds <datadir>/LOCK flock'd with its pid while it
// runs (datadir.go), and keeps the txs sent to its API in
// <datadir>/transactions.rlp, replayed into the mempool at start
// (journal.go); the HTTP server's goroutines append to it, a goroutine
// of the node rewrites it every minute, and Close once more after the
// API stopped. The journal's lock comes before the mempool's (a rewrite
// asks the mempool which txs it still holds); the mempool never calls
// the journal.
package node

// Package gossip owns tinychain's peer-to-peer network: a libp2p host
// (TCP and QUIC, Noise, yamux) whose identity lives in the data dir (or a
// key file given, for a bootstrap node with a fixed peer ID),
// GossipSub topics for blocks and transactions with validators that run
// the cheap consensus checks before anything is forwarded, the sync
// protocol over libp2p streams (status exchange, headers first, then
// bodies), and discovery (bootstrap peers, mDNS).
//
// Topics: /tinychain/<chain_id>/blocks/1 and /tinychain/<chain_id>/txs/1.
// Messages are unsigned (StrictNoSign): the payload is exactly the block's
// or tx's canonical encoding. A block's message id is the SHA-256 of the
// whole message (a copy with another body is another message), a tx's its
// hash. The block validator relays (accepts) a block only once it is
// connected on our best chain, rejects and strikes only what the sender
// could check without state (chain.IsPeerFault, an orphan flood), and
// ignores the rest: side blocks, orphans, duplicates, future or low-work
// blocks, failures in execution, descendants of invalid blocks. It runs
// on GossipSub's goroutines and does only the stateless checks, the
// parent lookup (blockchain.Chain.Precheck) and the senders' recovery;
// the block itself goes to the node's blockchain.Importer, whose verdict
// it waits for (Config.VerdictWait at most; a full import queue is ignored at
// once, so libp2p never waits on it; GossipSub runs each validation on a
// goroutine of its own, at most 1,024 per topic, so a validator waiting
// holds none of its workers). A sync hands its blocks to the
// importer too, one at a time in order, waiting for room.
//
// Lifecycle (network.go): New loads the key and starts nothing; Start
// makes the host and listens, once; Close is idempotent and waits for
// every goroutine, all of which start through spawn (none once Close has
// begun). Locks: startMu, then life; mu (per-peer state) and the tx
// relay's lock are held briefly, never across a stream, a dial or a
// wait for the importer.
//
// Streams (docs/PROTOCOL.md section 6.2): /tinychain/<chain_id>/status/1
// exchanges {genesis, head, height, total work} on connect and every 5 s
// with all peers at once (another genesis: the peer is dropped); the work
// is a claim, which only makes us ask for headers.
// /tinychain/<chain_id>/headers/1 answers a block locator with up to
// 2,000 main-chain headers after the fork point: the node syncing checks
// each (chain.CheckHeaderOnly) and sums their work, and only for a branch
// whose checked work beats its head asks /tinychain/<chain_id>/bodies/1
// for the blocks, from every peer that claims as much, several chunks at
// once, a failed or stalled chunk going to another peer. The miner pauses
// (Syncing) only while such a download makes progress.
// /tinychain/<chain_id>/txannounce/1 announces pending tx hashes and sizes
// (to a new peer, on a backoff schedule, and at once for txs back from
// abandoned blocks) and /tinychain/<chain_id>/txrequest/1 serves the txs a
// peer lacks: txs go whole only once by GossipSub, then only on request.
// Every message is a uvarint length and an RLP body, bounded before it is
// read; what we serve a peer is charged to its byte budget; per-peer
// state is dropped on disconnect or bounded (peerstate.go).
package gossip

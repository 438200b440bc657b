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
// or tx's canonical encoding, and the message id is its hash, so two
// copies of one block are one message. A validator rejects what is
// provably invalid (the sender's score drops) and ignores what cannot be
// decided yet (unknown parent, future timestamp, already seen).
//
// Streams (docs/protocol/sync.md): /tinychain/<chain_id>/status/1
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
// /tinychain/<chain_id>/txpush/1 carries txs GossipSub would drop as seen.
// Every message is a uvarint length and an RLP body, bounded before it is
// read; what we serve a peer is charged to its byte budget; per-peer
// state is dropped on disconnect or bounded (peerstate.go).
package gossip

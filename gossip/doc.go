// Package gossip owns tinychain's peer-to-peer network: a libp2p host
// (TCP and QUIC, Noise, yamux) whose identity lives in the data dir (or a
// key file given, for a bootstrap node with a fixed peer ID),
// GossipSub topics for blocks and transactions with validators that run
// the cheap consensus checks before anything is forwarded, the sync
// protocol over libp2p streams (status exchange, blocks by locator), and
// discovery (bootstrap peers, mDNS).
//
// Topics: /tinychain/<chain_id>/blocks/1 and /tinychain/<chain_id>/txs/1.
// Messages are unsigned (StrictNoSign): the payload is exactly the block's
// or tx's canonical encoding, and the message id is its hash, so two
// copies of one block are one message. A validator rejects what is
// provably invalid (the sender's score drops) and ignores what cannot be
// decided yet (unknown parent, future timestamp, already seen).
//
// Streams: /tinychain/<chain_id>/status/1 exchanges {genesis, head,
// height, total work} on connect (another genesis: the peer is dropped);
// /tinychain/<chain_id>/hashes/1 answers a block locator with the hashes
// of the main-chain blocks after the fork point, and
// /tinychain/<chain_id>/bodies/1 serves blocks by hash: a node behind gets
// the hashes from one peer and the bodies from every peer ahead, several
// chunks at once, a failed or stalled chunk going to another peer;
// /tinychain/<chain_id>/txannounce/1 announces pending tx hashes and sizes
// (to a new peer, on a backoff schedule, and at once for txs back from
// abandoned blocks) and /tinychain/<chain_id>/txrequest/1 serves the txs a
// peer lacks: txs go whole only once by GossipSub, then only on request.
// Every message is a uvarint length and an RLP body, bounded before it is
// read.
package gossip

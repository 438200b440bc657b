package gossip

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/proto"
)

type txT = proto.Tx

// graylistScore is the score below which a peer is ignored and dropped:
// two invalid deliveries get there (the penalty is squared).
const graylistScore = -300

// joinTopics starts GossipSub and joins the block and tx topics.
func (n *Network) joinTopics() error {
	g := n.chain.Genesis()
	blocksTopic := fmt.Sprintf("/tinychain/%d/blocks/1", g.ChainID)
	txsTopic := fmt.Sprintf("/tinychain/%d/txs/1", g.ChainID)
	invalidHeavy := &pubsub.TopicScoreParams{
		TopicWeight:                    1,
		TimeInMeshQuantum:              time.Second,
		InvalidMessageDeliveriesWeight: -100,
		InvalidMessageDeliveriesDecay:  0.9,
	}
	ps, err := pubsub.NewGossipSub(n.ctx, n.h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(messageID(blocksTopic)),
		pubsub.WithMaxMessageSize(g.MaxBlockBytes+4096),
		pubsub.WithFloodPublish(true),
		pubsub.WithGossipSubParams(gossipParams()),
		pubsub.WithPeerScore(&pubsub.PeerScoreParams{
			Topics:           map[string]*pubsub.TopicScoreParams{blocksTopic: invalidHeavy, txsTopic: invalidHeavy},
			AppSpecificScore: func(peer.ID) float64 { return 0 },
			DecayInterval:    time.Second,
			DecayToZero:      0.01,
			RetainScore:      10 * time.Minute,
		}, &pubsub.PeerScoreThresholds{
			GossipThreshold:   -100,
			PublishThreshold:  -200,
			GraylistThreshold: graylistScore,
		}),
		pubsub.WithPeerScoreInspect(func(scores map[peer.ID]float64) {
			n.setScores(scores)
			// A graylisted peer's messages are ignored; one that sank
			// that low by invalid deliveries is disconnected too.
			for p, s := range scores {
				if s <= graylistScore {
					n.log.Warn("disconnecting peer with a low score", "peer", p, "score", s)
					n.h.Network().ClosePeer(p)
				}
			}
		}, time.Second),
	)
	if err != nil {
		return fmt.Errorf("gossipsub: %w", err)
	}
	n.ps = ps
	if err := ps.RegisterTopicValidator(blocksTopic, n.counted(blocksTopic, n.validateBlock)); err != nil {
		return err
	}
	if err := ps.RegisterTopicValidator(txsTopic, n.counted(txsTopic, n.validateTx)); err != nil {
		return err
	}
	if n.blocks, err = ps.Join(blocksTopic); err != nil {
		return err
	}
	if n.txs, err = ps.Join(txsTopic); err != nil {
		return err
	}
	// Subscribing makes us part of the mesh; the validators do the work.
	for _, t := range []*pubsub.Topic{n.blocks, n.txs} {
		sub, err := t.Subscribe()
		if err != nil {
			return err
		}
		n.spawn(func() {
			for {
				if _, err := sub.Next(n.ctx); err != nil {
					return
				}
			}
		})
	}
	return nil
}

// gossipParams are GossipSub's defaults with the mesh degree and heartbeat
// of Ethereum's consensus network (D 8 in 6..12, a 700 ms heartbeat): with
// more of a node's links in the mesh, fewer blocks wait for a heartbeat's
// IHAVE and an IWANT round trip to cross a link (scripts/netsim, 50 nodes
// at 300 ms: BENCHMARKS.md).
func gossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi = 8, 6, 12
	p.HeartbeatInterval = 700 * time.Millisecond
	return p
}

// messageID is SHA-256 of the whole message for a block (its canonical
// encoding, header and body: a copy of a header with another body has
// another id, so it cannot make GossipSub drop the real block as seen), and
// Keccak-256 of the bytes (the tx hash) for a tx.
func messageID(blocksTopic string) pubsub.MsgIdFunction {
	return func(m *pb.Message) string {
		if m.GetTopic() == blocksTopic {
			h := sha256.Sum256(m.Data)
			return string(h[:])
		}
		return string(crypto.Keccak256(m.Data))
	}
}

type validator = func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult

// counted reports the validation result of each message from a peer to
// Config.OnMessage (our own published messages pass through too, uncounted).
func (n *Network) counted(topic string, v validator) validator {
	if n.cfg.OnMessage == nil {
		return v
	}
	names := map[pubsub.ValidationResult]string{
		pubsub.ValidationAccept: "accept", pubsub.ValidationReject: "reject", pubsub.ValidationIgnore: "ignore",
	}
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		r := v(ctx, from, m)
		if from != n.h.ID() {
			n.cfg.OnMessage(topic, names[r])
		}
		return r
	}
}

// validateBlock runs on GossipSub's validation goroutines and does only
// what needs no state beyond a read of the block index: the size, the
// decoding, Chain.Precheck (known, CheckHeader with its PoW, the parent
// lookup, the work threshold, the hold horizon) and the senders'
// recovery (copied from the mempool where it holds a tx, the rest on all
// cores). It then hands the block to the importer (a full queue: ignored
// at once, libp2p never waits on it) and waits, at most Config.VerdictWait, for
// the verdict that relay depends on: accept only once the block is
// connected on our best chain; a block stored on a side branch, a
// duplicate, an orphan, one held or refused for its time or its low work,
// one that fails execution or descends from an invalid block is ignored
// (not forwarded, no penalty: an honest peer may send any of these). Only
// what the sender could check without state is rejected with a strike
// (chain.IsPeerFault): encoding, size, PoW, signatures, tx_root, the
// header against its parent, an orphan flood. An orphan makes us sync
// from the peer that sent it, which brings its parent and then the block
// again.
func (n *Network) validateBlock(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == n.h.ID() {
		return pubsub.ValidationAccept
	}
	if len(m.Data) > n.chain.Genesis().MaxBlockBytes {
		n.strike(from, fmt.Errorf("block of %d bytes", len(m.Data)))
		return pubsub.ValidationReject
	}
	b, err := proto.DecodeBlock(m.Data)
	if err != nil {
		n.strike(from, err)
		return pubsub.ValidationReject
	}
	if n.inIBD() {
		// Below min_chain_work only checked headers bring blocks (checkpoint.go).
		n.spawn(func() { n.syncWith(from) })
		return pubsub.ValidationIgnore
	}
	o := blockchain.BlockOrigin{Peer: from.String(), Gossip: true}
	err = n.chain.Precheck(b, o)
	if err == nil {
		if n.pool != nil {
			n.pool.CopySenders(b.Txs)
		}
		chain.RecoverSenders(b.Txs)
	}
	if err == nil || errors.Is(err, chain.ErrOrphan) {
		// An orphan too: the importer keeps its header (bounded per peer).
		wctx, cancel := context.WithTimeout(ctx, n.cfg.VerdictWait)
		err = n.imp.TrySubmit(wctx, b, o)
		cancel()
	}
	switch {
	case err == nil:
		if info, ierr := n.chain.HeaderByHash(b.Hash()); ierr == nil && info.Main {
			return pubsub.ValidationAccept
		}
		return pubsub.ValidationIgnore // stored on a side branch
	case errors.Is(err, chain.ErrOrphan):
		n.spawn(func() { n.syncWith(from) })
		return pubsub.ValidationIgnore
	case chain.IsPeerFault(err):
		n.strike(from, err)
		return pubsub.ValidationReject
	}
	// Also a full import queue, a verdict that did not come in time, a
	// stopped importer.
	n.log.Debug("block from gossip not relayed", "peer", from, "block", b.Hash(), "err", err)
	return pubsub.ValidationIgnore
}

// validateTx decodes a gossiped tx and offers it to the mempool.
func (n *Network) validateTx(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == n.h.ID() {
		return pubsub.ValidationAccept
	}
	tx, err := proto.DecodeTx(m.Data)
	if err != nil {
		n.strike(from, err)
		return pubsub.ValidationReject
	}
	if _, err := chain.CheckTx(tx, n.chain.Genesis()); err != nil {
		n.strike(from, err)
		return pubsub.ValidationReject
	}
	if err := n.pool.Add(tx); err != nil {
		// Known, nonce used or ahead, underpriced, pool full: not the
		// sender's fault (it may know a block we do not).
		return pubsub.ValidationIgnore
	}
	return pubsub.ValidationAccept
}

// onHead publishes a block this node connected on its own (mined), so
// peers hear of it; blocks that came from peers were forwarded already.
func (n *Network) onHead(ev *blockchain.HeadEvent) {
	if !n.Syncing() && len(ev.Connected) > 0 {
		b := ev.Connected[len(ev.Connected)-1]
		if err := n.blocks.Publish(n.ctx, b.Encode()); err != nil && n.ctx.Err() == nil {
			n.log.Debug("publish block", "block", b.Hash(), "err", err)
		}
	}
	// Txs of abandoned blocks that are back in the mempool are announced
	// to every peer at once (txann.go): GossipSub would drop them as seen.
	var back []*proto.Tx
	for _, ab := range ev.Disconnected {
		for _, tx := range ab.Txs {
			if n.pool.Get(tx.Hash()) != nil {
				back = append(back, tx)
			}
		}
	}
	n.announceNow(back)
}

// publishTxs relays txs accepted by the mempool.
func (n *Network) publishTxs() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case b := <-n.txOut:
			if err := n.txs.Publish(n.ctx, b); err != nil && n.ctx.Err() == nil {
				n.log.Debug("publish tx", "err", err)
			}
		}
	}
}

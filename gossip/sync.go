package gossip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
)

const streamTimeout = 30 * time.Second

func (n *Network) ourStatus() *statusMsg {
	head := n.chain.Head()
	return &statusMsg{Genesis: n.chain.GenesisHash(), Head: head.Hash, Height: head.Header.Height, Work: head.TotalWork.Bytes()}
}

// exchangeStatus tells p our head and learns theirs; a peer on another
// genesis is dropped, a peer ahead is synced from.
func (n *Network) exchangeStatus(p peer.ID) {
	ctx, cancel := context.WithTimeout(n.ctx, streamTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoStatus)
	if err != nil {
		return
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	if err := writeMsg(s, n.ourStatus()); err != nil {
		return
	}
	var st statusMsg
	if err := readMsg(bufio.NewReader(s), maxStatusSize, &st); err != nil {
		return
	}
	n.learnStatus(p, &st)
}

func (n *Network) handleStatus(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	var st statusMsg
	if err := readMsg(bufio.NewReader(s), maxStatusSize, &st); err != nil {
		s.Reset()
		return
	}
	if err := writeMsg(s, n.ourStatus()); err != nil {
		return
	}
	n.learnStatus(s.Conn().RemotePeer(), &st)
}

func (n *Network) learnStatus(p peer.ID, st *statusMsg) {
	if st.Genesis != n.chain.GenesisHash() {
		n.log.Warn("peer on another genesis: dropping it", "peer", p, "genesis", st.Genesis)
		n.h.Network().ClosePeer(p)
		return
	}
	n.mu.Lock()
	n.peers[p] = st
	n.mu.Unlock()
	if n.ahead(st) {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.syncWith(p) }()
	}
}

// syncWith fetches main-chain blocks from p by locator, in batches,
// validating each, until p has nothing more. One sync runs at a time.
func (n *Network) syncWith(p peer.ID) {
	if !n.syncLock.TryLock() {
		return
	}
	defer n.syncLock.Unlock()
	start, got := time.Now(), 0
	for n.ctx.Err() == nil {
		blocks, err := n.fetchBlocks(p, n.chain.Locator())
		if err != nil {
			n.log.Debug("sync", "peer", p, "err", err)
			break
		}
		if len(blocks) == 0 {
			break
		}
		n.syncing.Store(true)
		before := n.chain.Head().Hash
		for _, b := range blocks {
			err := n.chain.ProcessBlock(b)
			if err != nil && !errors.Is(err, chain.ErrDuplicate) {
				if chain.CodeOf(err) != 0 {
					n.strike(p, err)
				}
				n.syncing.Store(false)
				return
			}
			got++
		}
		if n.chain.Head().Hash == before {
			break // nothing new came of the batch: p's chain is not heavier after all
		}
		n.mu.Lock()
		target := uint64(0)
		if st := n.peers[p]; st != nil {
			target = st.Height
		}
		n.mu.Unlock()
		head := n.chain.Head().Header.Height
		rate := float64(got) / time.Since(start).Seconds()
		eta := time.Duration(0)
		if target > head && rate > 0 {
			eta = time.Duration(float64(target-head)/rate) * time.Second
		}
		n.progress.Store(&SyncProgress{Height: head, Target: target, BlocksPerSec: rate, ETA: eta})
		n.log.Info("syncing", "peer", p, "height", head, "target", target, "blocks_per_s", int(rate), "eta", eta.Round(time.Second))
	}
	n.syncing.Store(false)
	n.progress.Store(nil)
}

// SyncProgress is where a sync stands.
type SyncProgress struct {
	Height, Target uint64
	BlocksPerSec   float64
	ETA            time.Duration
}

// Progress returns the running sync's progress, or nil when not syncing.
func (n *Network) Progress() *SyncProgress { return n.progress.Load() }

// fetchBlocks asks p for the blocks after our locator.
func (n *Network) fetchBlocks(p peer.ID, locator []common.Hash) ([]*proto.Block, error) {
	ctx, cancel := context.WithTimeout(n.ctx, streamTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoBlocks)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	if len(locator) > maxLocator {
		locator = append(locator[:maxLocator-1], locator[len(locator)-1])
	}
	if err := writeMsg(s, &blocksReq{Locator: locator, Max: maxBlocksReply}); err != nil {
		return nil, err
	}
	r := bufio.NewReader(s)
	var out []*proto.Block
	for len(out) <= maxBlocksReply {
		b, err := readFrame(r, n.chain.Genesis().MaxBlockBytes)
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			return out, nil
		}
		blk, err := proto.DecodeBlock(b)
		if err != nil {
			n.strike(p, err)
			return nil, err
		}
		out = append(out, blk)
	}
	return nil, fmt.Errorf("peer %s sent more blocks than asked", p)
}

// handleBlocks answers a locator with the main-chain blocks after the
// first locator hash on our main chain, ending with an empty frame.
func (n *Network) handleBlocks(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	var req blocksReq
	if err := readMsg(bufio.NewReader(s), maxReqSize, &req); err != nil {
		s.Reset()
		return
	}
	from := uint64(0)
	for _, h := range req.Locator {
		if info, err := n.chain.HeaderByHash(h); err == nil && info.Main {
			from = info.Header.Height
			break
		}
	}
	max := min(req.Max, maxBlocksReply)
	w := bufio.NewWriter(s)
	for h, sent := from+1, uint32(0); sent < max; h, sent = h+1, sent+1 {
		hash, err := n.chain.HashAt(h)
		if err != nil {
			break
		}
		b, err := n.chain.Block(hash)
		if err != nil {
			break
		}
		if err := writeFrame(w, b.Encode()); err != nil {
			return
		}
	}
	writeFrame(w, nil)
	w.Flush()
}

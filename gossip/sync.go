package gossip

import (
	"bufio"
	"context"
	"errors"
	"iter"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
)

const streamTimeout = 15 * time.Second

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
	_, known := n.peers[p]
	n.peers[p] = st
	benched := time.Now().Before(n.benched[p])
	n.mu.Unlock()
	if !known {
		n.log.Info("peer joined", "peer", p, "height", st.Height, "addr", n.peerAddr(p))
	}
	if n.ahead(st) && !benched {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.syncWith(p) }()
	}
}

// syncWith catches up with p, headers first: p names the blocks after our
// locator, and every peer that is ahead serves their bodies, several
// chunks at once (fetchRound); each block is validated as it comes, in
// order. One sync runs at a time.
func (n *Network) syncWith(p peer.ID) {
	if !n.syncLock.TryLock() {
		return
	}
	defer n.syncLock.Unlock()
	start, got := time.Now(), 0
	for n.ctx.Err() == nil {
		hashes, err := n.fetchHashes(p)
		if err != nil {
			// p stalls or fails: sit it out, and go on with another peer
			// that is ahead, if any.
			n.bench(p)
			if p = n.pickAhead(); p == "" {
				break
			}
			continue
		}
		if len(hashes) == 0 {
			break
		}
		n.syncing.Store(true)
		before := n.chain.Head().Hash
		done, err := n.fetchRound(n.peersAhead(p), hashes, func(blocks []*proto.Block) error {
			for b := range recoverAhead(blocks) {
				err := n.chain.ProcessBlock(b)
				if err != nil && !errors.Is(err, chain.ErrDuplicate) {
					if chain.CodeOf(err) != 0 {
						n.strike(p, err) // p named an invalid chain
					}
					return err
				}
			}
			return nil
		})
		got += done
		if err != nil || n.chain.Head().Hash == before {
			break // nothing new came of the round: p's chain is not heavier after all
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

// recoverAhead yields blocks in order, having recovered the senders of
// each (chain.RecoverSenders) while the one before it was processed: block
// execution runs on one core, and the recoveries fill the others.
func recoverAhead(blocks []*proto.Block) iter.Seq[*proto.Block] {
	return func(yield func(*proto.Block) bool) {
		ready := make(chan *proto.Block, 1)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			defer close(ready)
			for _, b := range blocks {
				chain.RecoverSenders(b.Txs)
				select {
				case ready <- b:
				case <-stop:
					return
				}
			}
		}()
		for b := range ready {
			if !yield(b) {
				return
			}
		}
	}
}

// peersAhead returns first and every other peer whose head has more work
// than ours and that is not sitting out: those that can serve the blocks
// we lack.
func (n *Network) peersAhead(first peer.ID) []peer.ID {
	out := []peer.ID{first}
	n.mu.Lock()
	defer n.mu.Unlock()
	for p, st := range n.peers {
		if p != first && n.ahead(st) && time.Now().After(n.benched[p]) {
			out = append(out, p)
		}
	}
	return out
}

// pickAhead returns a peer that is ahead and not sitting out, or "".
func (n *Network) pickAhead() peer.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	for p, st := range n.peers {
		if n.ahead(st) && time.Now().After(n.benched[p]) {
			return p
		}
	}
	return ""
}

// benchTime is how long a peer that failed a sync request sits out.
const benchTime = time.Minute

// bench keeps p out of syncs for a while (it stalled or failed a request).
func (n *Network) bench(p peer.ID) {
	n.mu.Lock()
	n.benched[p] = time.Now().Add(benchTime)
	n.mu.Unlock()
}

// SyncProgress is where a sync stands.
type SyncProgress struct {
	Height, Target uint64
	BlocksPerSec   float64
	ETA            time.Duration
}

// Progress returns the running sync's progress, or nil when not syncing.
func (n *Network) Progress() *SyncProgress { return n.progress.Load() }

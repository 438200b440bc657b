package gossip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/proto"
)

// Sync, headers first (docs/PROTOCOL.md section 6.2):
//
//  1. Peers exchange statuses on connect and every resyncEvery, with all
//     peers at once. A status claiming more work than our head only makes
//     us ask that peer for headers.
//  2. The peer's headers after our locator are checked one by one (PoW
//     under the ASERT target, height, timestamps: chain.CheckHeaderOnly), from
//     a block we hold, and summed into the branch's work. Only the hashes
//     are kept, in memory, for this sync: at most maxSyncHeaders of them.
//  3. Only once the checked work exceeds our head's are bodies asked for,
//     from the peer and others that claim as much, and handed to the chain
//     in order. A branch whose headers do not beat us after
//     maxHeaderRounds replies gets no body request at all.
//  4. The miner pauses (Syncing) only while such a branch is being
//     downloaded and blocks keep coming: never on a claim.

const (
	// maxHeaderRounds bounds the header replies of one sync round with a
	// peer before its branch must beat our head: 16 × 2,000 headers, a
	// 1 MB list of hashes and about 0.4 s of checks at most (12 µs a
	// header here, BenchmarkCheckHeaderOnly). A branch that could not
	// beat our head within that even if every header to come carried
	// headroom × the most work of any header in the last reply is given
	// up at once: cheap headers cost us one reply, 25 ms.
	maxHeaderRounds = 16
	maxSyncHeaders  = maxHeaderRounds * maxHeaders
	headroom        = 4
	// progressTimeout: the miner resumes when a sync's download has made
	// no validated progress (a block accepted) for this long.
	progressTimeout = 5 * time.Second
	// maxStatusExchanges bounds the status exchanges we run at once: one
	// per peer up to the connection manager's high water, and a few over.
	maxStatusExchanges = connHigh + 32
)

// syncState is what the running sync exports to the miner and the API.
type syncState struct {
	target   atomic.Pointer[syncTarget] // the checked branch being downloaded
	progress atomic.Int64               // unix ns of its last validated progress
}

// syncTarget is a branch whose checked headers carry more work than our
// head had when its download began.
type syncTarget struct {
	work   *big.Int
	height uint64
}

// Syncing reports whether the node is measurably behind and catching up:
// a branch whose headers we checked has more work than our head, its
// blocks are being downloaded, and one was accepted in the last
// progressTimeout. A peer's claim alone never makes it true, so the miner
// (which pauses while it is) cannot be held by a liar.
func (n *Network) Syncing() bool {
	if n.inIBD() {
		return true // checkpoint.go
	}
	t := n.sync.target.Load()
	if t == nil || time.Since(time.Unix(0, n.sync.progress.Load())) > progressTimeout {
		return false
	}
	return t.work.Cmp(n.chain.Head().TotalWork) > 0
}

func (n *Network) madeProgress() { n.sync.progress.Store(time.Now().UnixNano()) }

// SyncProgress is where a sync stands. Target is the height of the
// branch's last checked header.
type SyncProgress struct {
	Height, Target uint64
	BlocksPerSec   float64
	ETA            time.Duration
}

// Progress returns the running sync's progress while Syncing, else nil.
func (n *Network) Progress() *SyncProgress {
	if !n.Syncing() {
		return nil
	}
	return n.progress.Load()
}

func (n *Network) ourStatus() *statusMsg {
	head := n.chain.Head()
	return &statusMsg{Genesis: n.chain.GenesisHash(), Head: head.Hash, Height: head.Header.Height, Work: head.TotalWork.Bytes()}
}

// askStatus starts a status exchange with p unless one is running or
// maxStatusExchanges are.
func (n *Network) askStatus(p peer.ID) {
	select {
	case n.statusSlots <- struct{}{}:
	default:
		return
	}
	if !n.spawn(func() {
		defer func() { <-n.statusSlots }()
		n.exchangeStatus(p)
	}) {
		<-n.statusSlots
	}
}

// exchangeStatus tells p our head and learns theirs, within
// statusTimeout; a peer on another genesis is dropped, one claiming more
// work is asked for headers. At most one exchange per peer runs.
func (n *Network) exchangeStatus(p peer.ID) {
	n.mu.Lock()
	if n.asking[p] {
		n.mu.Unlock()
		return
	}
	n.asking[p] = true
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.asking, p)
		n.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(n.ctx, statusTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoStatus)
	if err != nil {
		return
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(statusTimeout))
	if err := writeMsg(s, n.ourStatus()); err != nil {
		s.Reset()
		return
	}
	var st statusMsg
	if err := readMsg(bufio.NewReader(s), maxStatusSize, &st); err != nil {
		s.Reset()
		return
	}
	n.learnStatus(p, &st)
}

func (n *Network) handleStatus(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(statusTimeout))
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
	// Kept for connected peers only: DisconnectedF may have run already.
	if n.h.Network().Connectedness(p) != network.Connected {
		n.mu.Unlock()
		return
	}
	_, known := n.peers[p]
	n.peers[p] = st
	n.mu.Unlock()
	if !known {
		n.log.Info("peer joined", "peer", p, "height", st.Height, "addr", n.peerAddr(p))
	}
	if n.claimsAhead(st) {
		n.spawn(func() { n.syncWith(p) })
	}
}

// claimedWork is the work p's last status claimed (0 if none).
func (n *Network) claimedWork(p peer.ID) *big.Int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if st := n.peers[p]; st != nil {
		return new(big.Int).SetBytes(st.Work)
	}
	return new(big.Int)
}

// syncWith catches up with p, a round at a time (syncRound); a peer that
// fails a round sits out and another that claims to be ahead takes over.
// One sync runs at a time; a benched peer is not synced from.
func (n *Network) syncWith(p peer.ID) {
	n.mu.Lock()
	benched := n.isBenched(p)
	n.mu.Unlock()
	if benched || !n.syncLock.TryLock() {
		return
	}
	defer n.syncLock.Unlock()
	defer n.sync.target.Store(nil)
	start, got := time.Now(), 0
	for n.ctx.Err() == nil {
		done, more, err := n.syncRound(p)
		got += done
		if err != nil {
			n.log.Debug("sync: peer benched", "peer", p, "err", err)
			n.bench(p)
			if p = n.pickAhead(); p == "" {
				return
			}
			continue
		}
		if !more {
			return
		}
		head := n.chain.Head().Header.Height
		target := head
		if t := n.sync.target.Load(); t != nil {
			target = max(t.height, head)
		}
		rate := float64(got) / time.Since(start).Seconds()
		eta := time.Duration(0)
		if target > head && rate > 0 {
			eta = time.Duration(float64(target-head)/rate) * time.Second
		}
		n.progress.Store(&SyncProgress{Height: head, Target: target, BlocksPerSec: rate, ETA: eta})
		n.log.Info("syncing", "peer", p, "height", head, "target", target, "blocks_per_s", int(rate), "eta", eta.Round(time.Second))
	}
}

// branch is a peer's chain after the fork point with ours, as far as its
// headers were checked: only their hashes are kept.
type branch struct {
	hashes []common.Hash // in height order, the fork point's child first
	ctx    chain.HeaderContext
	work   *big.Int // cumulative work of the last checked header
	height uint64
	stop   stopReason // why no more headers were asked for
}

// stopReason is why fetchBranch stopped asking for headers.
type stopReason int

const (
	stopBeat   stopReason = iota // the branch's work beat our head's
	stopEnded                    // the peer sent all it has (a short reply)
	stopFuture                   // a header from the future: our clocks differ
	stopCapped                   // maxHeaderRounds replies, and still behind
)

func (b *branch) last() common.Hash { return b.ctx.Parent.Hash() }

// errPeer wraps what a peer did that it could have checked itself: it is
// struck as well as benched.
type errPeer struct{ err error }

func (e errPeer) Error() string { return e.err.Error() }
func (e errPeer) Unwrap() error { return e.err }

// syncRound gets p's headers after our locator until they beat our head
// (or run out), then the bodies of those we lack, processed in order. It
// returns the blocks accepted and whether to go on; an error benches p
// (and strikes it first if the error is an errPeer).
func (n *Network) syncRound(p peer.ID) (accepted int, more bool, err error) {
	defer func() {
		var pe errPeer
		if errors.As(err, &pe) {
			n.strike(p, pe.err)
		}
	}()
	br, err := n.fetchBranch(p)
	if err != nil {
		return 0, false, err
	}
	head := n.chain.Head()
	if br == nil || br.work.Cmp(n.beatWork()) <= 0 {
		// p's chain, as far as checked, does not beat ours: no bodies.
		delivered := head.TotalWork // an empty reply: p has at most what we hold
		stop := stopEnded
		if br != nil {
			delivered, stop = br.work, br.stop
		}
		lied := n.claimedWork(p).Cmp(delivered) > 0
		switch {
		case stop == stopBeat:
			return 0, true, nil // our head moved past it meanwhile: ask again
		case stop == stopCapped && lied:
			return 0, false, errPeer{fmt.Errorf("%d headers with less work than our head, after claiming more", len(br.hashes))}
		case stop == stopCapped:
			return 0, false, fmt.Errorf("%d headers with less work than our head", len(br.hashes))
		case stop == stopEnded && lied:
			return 0, false, errPeer{errors.New("served less work than it claimed")}
		case br != nil && br.work.Cmp(head.TotalWork) > 0:
			return 0, false, errors.New("a branch below min_chain_work") // checkpoint.go
		}
		return 0, false, nil // in step with us, or behind
	}
	var need []common.Hash
	for _, h := range br.hashes {
		// Held already (stored or connected) needs no download; a block
		// known invalid is fetched so that the chain says so and the
		// round stops there.
		if info, err := n.chain.HeaderByHash(h); err != nil || (info.Status != "stored" && info.Status != "valid") {
			need = append(need, h)
		}
	}
	if len(need) == 0 {
		return 0, false, nil
	}
	n.sync.target.Store(&syncTarget{work: br.work, height: br.height})
	n.madeProgress() // the download starts: its first blocks have progressTimeout to come
	before := head.Hash
	_, err = n.fetchRound(n.bodyPeers(p, br.work), need, func(blocks []*proto.Block, from peer.ID) error {
		for b := range recoverAhead(blocks) {
			switch err := n.processSynced(b, from, br.work); {
			case err == nil:
				accepted++
				n.madeProgress()
			case errors.Is(err, chain.ErrDuplicate):
			case chain.CodeOf(err) != 0 && chain.IsPeerFault(err):
				// It matched a header we checked, so the body is what is
				// wrong, and from could have seen it.
				n.strike(from, err)
				return err
			default:
				// Invalid in execution or by ancestry (nobody's fault
				// that we can prove), refused or held by the chain: the
				// branch goes no further now.
				return err
			}
		}
		return nil
	})
	if err != nil {
		return accepted, false, err
	}
	if accepted == 0 && n.chain.Head().Hash == before {
		return 0, false, errors.New("nothing new came of the round")
	}
	return accepted, true, nil
}

// processSynced hands the importer a block that a sync asked for, of a
// branch whose checked headers carry work (more than our head's when
// asked), served by from, and waits for its verdict (a sync may wait for
// room in the queue: it runs on a goroutine of its own).
func (n *Network) processSynced(b *proto.Block, from peer.ID, work *big.Int) error {
	return n.imp.Submit(n.ctx, b, blockchain.BlockOrigin{Peer: from.String(), BranchWork: work})
}

// fetchBranch asks p for headers after our locator, checking each, until
// their work beats our head's, p has no more, or maxHeaderRounds replies
// came. nil: p has nothing after our locator.
func (n *Network) fetchBranch(p peer.ID) (*branch, error) {
	g := n.chain.Genesis()
	ours := n.chain.Locator()
	if len(ours) > maxLocator {
		ours = append(ours[:maxLocator-1], ours[len(ours)-1])
	}
	var br *branch
	for round := 0; round < maxHeaderRounds; round++ {
		loc := ours
		if br != nil {
			// Where we got to first; our own chain after it, in case p's
			// chain moved under us.
			loc = append([]common.Hash{br.last()}, ours[:min(len(ours)-1, maxLocator-2)]...)
			loc = append(loc, ours[len(ours)-1]) // the genesis
		}
		hs, err := n.fetchHeaders(p, loc)
		if err != nil {
			return nil, err
		}
		if len(hs) == 0 {
			if br != nil {
				br.stop = stopEnded
			}
			return br, nil
		}
		if br == nil || hs[0].PrevHash != br.last() {
			// A first reply, or p's chain moved under us: start again
			// from where its headers fork from ours. An honest peer
			// starts after a hash of our locator: we hold each of them.
			if !slices.Contains(ours, hs[0].PrevHash) {
				return nil, errPeer{errors.New("headers do not start at a locator hash")}
			}
			ctx, info, err := n.chain.HeaderContext(hs[0].PrevHash)
			if err != nil {
				return nil, fmt.Errorf("fork point %s: %w", hs[0].PrevHash, err)
			}
			if err := g.CheckForkPoint(info.Header.Height, n.chain.Head().Header.Height); err != nil {
				return nil, errPeer{err} // checkpoint.go
			}
			br = &branch{ctx: ctx, work: info.TotalWork, height: info.Header.Height}
		}
		nowMs := uint64(time.Now().UnixMilli())
		most := new(big.Int) // the most work of a header in this reply
		for _, h := range hs {
			if h.PrevHash != br.last() {
				return nil, errPeer{errors.New("headers do not link")}
			}
			if err := chain.CheckHeaderOnly(h, br.ctx, g, nowMs); err != nil {
				if errors.Is(err, chain.ErrTimeTooNew) {
					br.stop = stopFuture // take what came before it
					return br, nil
				}
				if chain.IsPeerFault(err) {
					return nil, errPeer{err}
				}
				return nil, err
			}
			hash := h.Hash()
			if err := n.checkSyncedHeader(h, hash); err != nil {
				return nil, errPeer{err} // checkpoint.go
			}
			br.hashes = append(br.hashes, hash)
			w := chain.CalcWork(h.TargetBig())
			br.work.Add(br.work, w)
			if w.Cmp(most) > 0 {
				most = w
			}
			br.height = h.Height
			br.ctx = br.ctx.Child(h)
		}
		headWork := n.beatWork()
		// The most the headers we would still take could add.
		reach := most.Mul(most, big.NewInt(int64(headroom*(maxSyncHeaders-len(br.hashes)))))
		switch {
		case len(hs) < maxHeaders:
			br.stop = stopEnded
			return br, nil
		case br.work.Cmp(headWork) > 0:
			br.stop = stopBeat
			return br, nil
		case len(br.hashes) >= maxSyncHeaders || reach.Add(reach, br.work).Cmp(headWork) <= 0:
			br.stop = stopCapped
			return br, nil
		}
	}
	br.stop = stopCapped
	return br, nil
}

// bodyPeers returns first and every other peer not sitting out whose
// status claims at least work: those asked for the bodies. A claim only
// routes requests: a peer that then fails one sits out, one that serves
// a wrong body is struck.
func (n *Network) bodyPeers(first peer.ID, work *big.Int) []peer.ID {
	out := []peer.ID{first}
	n.mu.Lock()
	defer n.mu.Unlock()
	for p, st := range n.peers {
		if p != first && new(big.Int).SetBytes(st.Work).Cmp(work) >= 0 && !n.isBenched(p) {
			out = append(out, p)
		}
	}
	return out
}

// pickAhead returns a peer that claims more work than our head and is not
// sitting out, or "".
func (n *Network) pickAhead() peer.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	for p, st := range n.peers {
		if n.claimsAhead(st) && !n.isBenched(p) {
			return p
		}
	}
	return ""
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

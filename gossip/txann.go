package gossip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"golang.org/x/time/rate"
)

// Pending txs travel twice: GossipSub relays a tx once, when a node first
// accepts it (topics.go); after that, as in eth/68, a node only announces
// the hashes (and sizes) of its pending txs over a stream, and a peer asks
// for the bodies it lacks. A node announces its best pending txs to a new
// peer, each pending tx again to every peer on a backoff schedule (10 s
// after it came, 20 s later, then every 30 s while it is pending: a peer
// whose pool was full gets another offer soon, for 40 bytes), and txs
// that return from abandoned blocks at once (GossipSub would drop them as
// seen). The
// wire format and every limit: docs/PROTOCOL.md section 6.3.
//
// Costs for us, each small next to the sender's:
//   - an announce message: at most maxAnnounce entries (≈40 KiB), each
//     one mempool map lookup; a hash we hold costs nothing more; one we
//     lack takes one entry of the peer's announced set (≤ maxPeerAnnounced).
//   - a request we serve: at most maxRequest map lookups and about
//     maxServeBytes written, at most one at a time per peer, within a byte
//     rate per peer (txServeRate, burst txServeBurst).
//   - a tx we fetch: we asked for it by hash, so it is one we lacked; one
//     signature recovery in the mempool. A tx we did not ask for, one whose
//     size is not the one announced, or one that breaks a stateless rule is
//     a strike (three: banned).
//   - per peer: its announced set, a set of hashes it failed to serve
//     (maxNoServe) and a rate limiter; all of it goes when it disconnects.

// Limits of the tx announce protocol.
const (
	maxAnnounce      = 1024 // entries per announce message
	maxAnnounceRound = 4096 // entries one peer gets per round (on connect, each backoff round)
	maxPeerAnnounced = 1024 // hashes of one peer waiting to be requested
	announcedTTL     = time.Minute
	maxRequest       = 256     // hashes per request
	maxServeBytes    = 1 << 20 // a response stops before the tx that would pass this (one tx at least)
	txServeRate      = 1 << 20 // bytes per second served to one peer
	txServeBurst     = 2 << 20
	txReqTimeout     = 10 * time.Second
	recentTTL        = 15 * time.Second // a fetched tx is not fetched again meanwhile
	maxRecent        = 16_384
	maxNoServe       = 512
)

// The backoff schedule of the re-announce of one pending tx: the first one
// announceFirst after we accepted it, then doubling up to announceMax.
// Variables for tests (set before New).
var (
	announceFirst = 10 * time.Second
	announceMax   = 30 * time.Second
)

// txAnn is one announce entry: a tx hash and the size of its encoding.
type txAnn struct {
	Hash common.Hash
	Size uint32
}

// Frame bounds, checked before the bytes are read.
const (
	maxAnnounceFrame = 16 + maxAnnounce*(1+1+common.HashLength+1+4)
	maxRequestFrame  = 16 + maxRequest*(1+common.HashLength)
)

// txRelay is the announce and request state. Its lock is taken before the
// mempool's, never the other way.
type txRelay struct {
	first, max time.Duration
	kick       chan struct{}

	mu       sync.Mutex
	peers    map[peer.ID]*txPeer
	inflight map[common.Hash]peer.ID // requested from that peer, not answered yet
	recent   *lru.Cache[common.Hash, time.Time]
	sched    map[common.Hash]*annSched // our pending txs' next announce
}

type txPeer struct {
	announced  map[common.Hash]annEntry // it has them, we lack them, not requested from it yet
	order      []common.Hash            // the keys of announced in the order announced (best first, nonces in order)
	noServe    *lru.Cache[common.Hash, struct{}]
	limiter    *rate.Limiter
	fetching   bool // our request to it is under way
	serving    bool // its request to us is under way
	announcing bool // our announce to it is under way
}

type annEntry struct {
	size uint32
	at   time.Time
}

type annSched struct {
	at    time.Time
	every time.Duration
}

// initTxRelay registers the announce and request protocols and prunes a
// peer's state when it disconnects.
func (n *Network) initTxRelay() {
	recent, _ := lru.New[common.Hash, time.Time](maxRecent)
	n.txr = &txRelay{first: announceFirst, max: announceMax, kick: make(chan struct{}, 1),
		peers: map[peer.ID]*txPeer{}, inflight: map[common.Hash]peer.ID{}, recent: recent, sched: map[common.Hash]*annSched{}}
	n.h.SetStreamHandler(n.protoTxAnn, n.handleTxAnnounce)
	n.h.SetStreamHandler(n.protoTxGet, n.handleTxRequest)
	n.h.Network().Notify(&network.NotifyBundle{
		DisconnectedF: func(net network.Network, c network.Conn) {
			if p := c.RemotePeer(); net.Connectedness(p) != network.Connected {
				n.txr.mu.Lock()
				delete(n.txr.peers, p)
				n.txr.mu.Unlock()
			}
		},
	})
}

// txPeerLocked returns p's state, made for a connected peer only (so that
// a stream racing a disconnect leaves nothing behind; announceRound prunes
// what does). MUST be called with r.mu held.
func (n *Network) txPeerLocked(p peer.ID) *txPeer {
	r := n.txr
	tp := r.peers[p]
	if tp == nil && n.h.Network().Connectedness(p) == network.Connected {
		noServe, _ := lru.New[common.Hash, struct{}](maxNoServe)
		tp = &txPeer{announced: map[common.Hash]annEntry{}, noServe: noServe, limiter: rate.NewLimiter(txServeRate, txServeBurst)}
		r.peers[p] = tp
	}
	return tp
}

// announcePending announces our best pending txs to a newly connected peer.
func (n *Network) announcePending(p peer.ID) {
	if n.pool == nil {
		return
	}
	var list []txAnn
	for _, tx := range n.pool.Pending() {
		if len(list) == maxAnnounceRound {
			break
		}
		list = append(list, txAnn{tx.Hash(), uint32(tx.Size())})
	}
	n.announceTo(p, list)
}

// announceNow makes txs due for announcement at once (txs back from
// abandoned blocks), their backoff starting over.
func (n *Network) announceNow(txs []*proto.Tx) {
	if len(txs) == 0 {
		return
	}
	r := n.txr
	now := time.Now()
	r.mu.Lock()
	for _, tx := range txs {
		r.sched[tx.Hash()] = &annSched{at: now, every: r.first / 2}
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// announceLoop runs the re-announce rounds.
func (n *Network) announceLoop() {
	t := time.NewTicker(n.txr.first / 4)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		case <-n.txr.kick:
		}
		n.announceRound()
	}
}

// announceRound announces to every peer the pending txs whose turn it is
// (at most maxAnnounceRound, the best first) and moves each one's next
// turn on. The schedule holds only pending txs. O(pending txs).
func (n *Network) announceRound() {
	r := n.txr
	if n.pool == nil {
		return
	}
	pending := n.pool.Pending()
	now := time.Now()
	var due []txAnn
	r.mu.Lock()
	sched := make(map[common.Hash]*annSched, len(pending))
	for _, tx := range pending {
		h := tx.Hash()
		s := r.sched[h]
		switch {
		case s == nil:
			s = &annSched{at: now.Add(r.first), every: r.first} // GossipSub has just relayed it
		case !now.Before(s.at) && len(due) < maxAnnounceRound:
			due = append(due, txAnn{h, uint32(tx.Size())})
			s.every = min(2*s.every, r.max)
			s.at = now.Add(s.every)
		}
		sched[h] = s
	}
	r.sched = sched
	for p := range r.peers {
		if n.h.Network().Connectedness(p) != network.Connected {
			delete(r.peers, p)
		}
	}
	r.mu.Unlock()
	if len(due) == 0 {
		return
	}
	for _, p := range n.h.Network().Peers() {
		n.spawn(func() { n.announceTo(p, due) })
	}
}

// announceTo sends list to p, maxAnnounce entries per stream; skipped when
// an announce to p is still under way (a slow peer gets no backlog).
func (n *Network) announceTo(p peer.ID, list []txAnn) {
	if len(list) == 0 {
		return
	}
	r := n.txr
	r.mu.Lock()
	tp := n.txPeerLocked(p)
	if tp == nil || tp.announcing {
		r.mu.Unlock()
		return
	}
	tp.announcing = true
	r.mu.Unlock()
	defer func() { r.mu.Lock(); tp.announcing = false; r.mu.Unlock() }()
	for len(list) > 0 {
		chunk := list[:min(len(list), maxAnnounce)]
		list = list[len(chunk):]
		if err := n.sendAnnounce(p, chunk); err != nil {
			n.log.Debug("tx announce", "peer", p, "err", err)
			return
		}
	}
}

func (n *Network) sendAnnounce(p peer.ID, chunk []txAnn) error {
	ctx, cancel := context.WithTimeout(n.ctx, streamTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoTxAnn)
	if err != nil {
		return err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	return writeMsg(s, chunk)
}

// handleTxAnnounce reads one announce message and asks for what we lack.
func (n *Network) handleTxAnnounce(s network.Stream) {
	defer s.Close()
	if n.pool == nil {
		s.Reset()
		return
	}
	s.SetDeadline(time.Now().Add(streamTimeout))
	from := s.Conn().RemotePeer()
	var list []txAnn
	if err := readMsg(bufio.NewReader(s), maxAnnounceFrame, &list); err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isTimeout(err) {
			n.strike(from, fmt.Errorf("tx announce: %w", err))
		}
		s.Reset()
		return
	}
	maxSize := uint32(n.chain.Genesis().MaxTxBytes)
	var lack []txAnn
	for _, a := range list {
		if a.Size == 0 || a.Size > maxSize || len(list) > maxAnnounce {
			n.strike(from, fmt.Errorf("tx announce: %d entries, a size of %d (max %d)", len(list), a.Size, maxSize))
			s.Reset()
			return
		}
		if n.pool.Get(a.Hash) == nil {
			lack = append(lack, a)
		}
	}
	if len(lack) == 0 {
		return
	}
	r := n.txr
	now := time.Now()
	r.mu.Lock()
	tp := n.txPeerLocked(from)
	for _, a := range lack {
		if tp == nil || len(tp.announced) >= maxPeerAnnounced {
			break
		}
		if t, ok := r.recent.Peek(a.Hash); ok && now.Sub(t) < recentTTL {
			continue
		}
		if tp.noServe.Contains(a.Hash) {
			continue // it announced this one before and did not serve it
		}
		if _, ok := tp.announced[a.Hash]; !ok {
			tp.order = append(tp.order, a.Hash)
		}
		tp.announced[a.Hash] = annEntry{a.Size, now}
	}
	r.mu.Unlock()
	n.fetchFrom(from)
}

// fetchFrom sends p a request for hashes it announced that we still lack
// and that no other peer is serving us now, if no request to p is under
// way: at most maxRequest hashes and maxServeBytes by the announced sizes,
// in the order p announced them (its best first, a sender's nonces in
// order, so that they run here rather than wait behind a gap).
// O(len(tp.order)) ≤ maxPeerAnnounced.
func (n *Network) fetchFrom(p peer.ID) {
	r := n.txr
	now := time.Now()
	r.mu.Lock()
	tp := r.peers[p]
	if tp == nil || tp.fetching {
		r.mu.Unlock()
		return
	}
	want := map[common.Hash]uint32{}
	var req []common.Hash
	bytes := 0
	keep := tp.order[:0] // filtered in place: the write index never passes the read index
	full := false
	for _, h := range tp.order {
		a := tp.announced[h]
		if _, busy := r.inflight[h]; busy || full {
			keep = append(keep, h) // another peer serves it (p stays the fallback), or next time
			continue
		}
		t, seen := r.recent.Peek(h)
		if now.Sub(a.at) > announcedTTL || seen && now.Sub(t) < recentTTL || n.pool.Get(h) != nil {
			delete(tp.announced, h)
			continue
		}
		if len(req) == maxRequest || len(req) > 0 && bytes+int(a.size) > maxServeBytes {
			full = true
			keep = append(keep, h)
			continue
		}
		delete(tp.announced, h)
		r.inflight[h] = p
		want[h] = a.size
		req = append(req, h)
		bytes += int(a.size)
	}
	clear(tp.order[len(keep):])
	tp.order = keep
	if len(req) > 0 {
		tp.fetching = true
	}
	r.mu.Unlock()
	if len(req) > 0 {
		n.spawn(func() { n.requestTxs(p, req, want) }) // none once closing: the network is going
	}
}

// requestTxs asks p for the txs req (announced with the sizes want) and
// offers what comes to the mempool. What p does not deliver it is not
// asked for again; another announcer is.
func (n *Network) requestTxs(p peer.ID, req []common.Hash, want map[common.Hash]uint32) {
	got := map[common.Hash]bool{}
	defer func() {
		r := n.txr
		now := time.Now()
		r.mu.Lock()
		tp := r.peers[p]
		for _, h := range req {
			if r.inflight[h] == p {
				delete(r.inflight, h)
			}
			if got[h] {
				r.recent.Add(h, now)
			} else if tp != nil {
				tp.noServe.Add(h, struct{}{})
			}
		}
		if tp != nil {
			tp.fetching = false
		}
		others := make([]peer.ID, 0, len(r.peers))
		for q := range r.peers {
			others = append(others, q)
		}
		r.mu.Unlock()
		// Undelivered hashes go to their other announcers; p goes on
		// with what else it announced.
		for _, q := range others {
			n.fetchFrom(q)
		}
	}()
	ctx, cancel := context.WithTimeout(n.ctx, txReqTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoTxGet)
	if err != nil {
		return
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(txReqTimeout))
	if err := writeMsg(s, req); err != nil {
		s.Reset()
		return
	}
	s.CloseWrite()
	br := bufio.NewReader(s)
	maxTx := n.chain.Genesis().MaxTxBytes
	for range req {
		b, err := readFrame(br, maxTx)
		if err != nil {
			if errors.Is(err, errFrameTooLarge) {
				n.strike(p, fmt.Errorf("tx response: %w", err))
				s.Reset()
			}
			return // done, or a stall: what it did not send counts as not served
		}
		tx, err := proto.DecodeTx(b)
		if err != nil {
			n.strike(p, fmt.Errorf("tx response: %w", err))
			s.Reset()
			return
		}
		h := tx.Hash()
		size, asked := want[h]
		if !asked || got[h] || size != uint32(len(b)) {
			n.strike(p, fmt.Errorf("tx response: %s not requested, sent twice or not of the announced size %d", h, size))
			s.Reset()
			return
		}
		got[h] = true
		if err := n.pool.Add(tx); err != nil && chain.IsPeerFault(err) {
			n.strike(p, fmt.Errorf("tx response: %w", err))
			s.Reset()
			return
		} // other refusals (known, nonce used, pool full) are not its fault
	}
}

// handleTxRequest serves one request: the requested txs that we hold, in
// the order asked, each in a frame, until maxServeBytes; a peer has one
// request served at a time, within txServeRate.
func (n *Network) handleTxRequest(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(txReqTimeout))
	from := s.Conn().RemotePeer()
	r := n.txr
	r.mu.Lock()
	tp := n.txPeerLocked(from)
	if tp == nil || tp.serving || n.pool == nil {
		r.mu.Unlock()
		s.Reset()
		return
	}
	tp.serving = true
	r.mu.Unlock()
	defer func() { r.mu.Lock(); tp.serving = false; r.mu.Unlock() }()
	var req []common.Hash
	if err := readMsg(bufio.NewReader(s), maxRequestFrame, &req); err != nil || len(req) > maxRequest {
		if err == nil || !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isTimeout(err) {
			n.strike(from, fmt.Errorf("tx request: %d hashes, %v", len(req), err))
		}
		s.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, txReqTimeout)
	defer cancel()
	w := bufio.NewWriter(s)
	sent := 0
	for _, h := range req {
		tx := n.pool.Get(h)
		if tx == nil {
			continue
		}
		b := tx.Encode()
		if sent > 0 && sent+len(b) > maxServeBytes {
			break
		}
		if tp.limiter.WaitN(ctx, len(b)) != nil || writeFrame(w, b) != nil {
			s.Reset()
			return
		}
		sent += len(b)
	}
	w.Flush()
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &te) && te.Timeout()
}

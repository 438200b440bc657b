package gossip

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"
)

// Per-peer state. Every map keyed by peer id is either pruned when the
// peer disconnects (Network.peers, .scores, .serving, .asking: what only a
// connected peer needs) or bounded in entries and time (peerRecords:
// strikes and benching, which must survive a reconnect, or a peer would
// reset them by redialling).

const (
	// maxStrikes strikes within banTime of each other ban a peer for
	// banTime: the connection gater refuses it (by peer id) until then.
	maxStrikes = 3
	banTime    = 10 * time.Minute
	// benchTime is how long a peer that failed a sync request, or whose
	// headers did not beat our chain, sits out syncs.
	benchTime = time.Minute
	// maxRecords bounds the strike and bench records: 4,096 of about 100
	// bytes. When full, expired records go first, then the one that
	// expires soonest (a ban in the gater outlives its record).
	maxRecords = 4096
)

// peerRecord is what we hold against a peer, connected or not.
type peerRecord struct {
	strikes int
	benched time.Time // out of syncs until then
	expires time.Time // the record is forgotten then: strikes reset
}

// peerRecords is a bounded table of peerRecord. MUST be used with
// Network.mu held.
type peerRecords struct {
	m map[peer.ID]*peerRecord
}

func newPeerRecords() *peerRecords { return &peerRecords{m: map[peer.ID]*peerRecord{}} }

// lookup returns p's record if it has a live one.
func (r *peerRecords) lookup(p peer.ID, now time.Time) *peerRecord {
	rec := r.m[p]
	if rec == nil || now.After(rec.expires) {
		return nil
	}
	return rec
}

// get returns p's record, making room and creating it if needed.
func (r *peerRecords) get(p peer.ID, now time.Time) *peerRecord {
	if rec := r.lookup(p, now); rec != nil {
		return rec
	}
	delete(r.m, p)
	if len(r.m) >= maxRecords {
		var soonest peer.ID
		for q, rec := range r.m {
			if now.After(rec.expires) {
				delete(r.m, q)
			} else if soonest == "" || rec.expires.Before(r.m[soonest].expires) {
				soonest = q
			}
		}
		if len(r.m) >= maxRecords {
			delete(r.m, soonest)
		}
	}
	rec := &peerRecord{expires: now}
	r.m[p] = rec
	return rec
}

// Serving budget: the headers and bodies we send a peer are charged to a
// token bucket of its own, serveRate bytes a second with a burst of
// serveBurst (or one max-size block if that is larger). A peer asking for
// more waits, and a bodies reply that cannot go on within serveWindow
// ends early (the asker takes the prefix and asks again), so no peer
// makes us read and send more than serveRate a second however cheaply it
// asks. With connHigh peers that is at most 96 × 4 MiB/s in all; the
// link is the practical limit long before.
const (
	serveRate   = 4 << 20 // bytes a second per peer
	serveBurst  = 4 << 20
	serveWindow = 5 * time.Second // longest a bodies reply waits for budget
)

// maxServing is how many headers or bodies streams of one peer we serve
// at once; more are reset. A syncing node runs one of each at a time per
// peer, and the bound keeps what waiting replies hold (a headers reply is
// built before its budget is waited for: up to 1 MB) to a few MB a peer.
const maxServing = 2

// servant is a connected peer's serving state.
type servant struct {
	lim  *rate.Limiter
	busy int // streams being served
}

// startServing returns p's serving budget and a release func, or false
// when p already has maxServing streams served. Only a connected peer's
// state is kept (DisconnectedF prunes it); one for a peer already gone is
// thrown away.
func (n *Network) startServing(p peer.ID) (*rate.Limiter, func(), bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	sv := n.serving[p]
	if sv == nil {
		sv = &servant{lim: rate.NewLimiter(serveRate, max(serveBurst, n.chain.Genesis().MaxBlockBytes))}
		if n.h.Network().Connectedness(p) == network.Connected {
			n.serving[p] = sv
		}
	}
	if sv.busy >= maxServing {
		return nil, nil, false
	}
	sv.busy++
	return sv.lim, func() {
		n.mu.Lock()
		sv.busy--
		n.mu.Unlock()
	}, true
}

// forget drops the state of a peer that is gone (its records stay).
func (n *Network) forget(p peer.ID) (known bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, known = n.peers[p]
	delete(n.peers, p)
	delete(n.serving, p)
	delete(n.scores, p)
	return known
}

// setScores keeps GossipSub's scores of the connected peers (it retains
// those of peers gone for RetainScore, so a reconnecting peer's score,
// and its graylisting, survive: that map is GossipSub's own and bounded
// by its retention).
func (n *Network) setScores(scores map[peer.ID]float64) {
	out := make(map[peer.ID]float64, len(scores))
	for p, s := range scores {
		if n.h.Network().Connectedness(p) == network.Connected {
			out[p] = s
		}
	}
	n.mu.Lock()
	n.scores = out
	n.mu.Unlock()
}

// bench keeps p out of syncs for benchTime.
func (n *Network) bench(p peer.ID) {
	now := time.Now()
	n.mu.Lock()
	rec := n.records.get(p, now)
	rec.benched = now.Add(benchTime)
	if rec.expires.Before(rec.benched) {
		rec.expires = rec.benched
	}
	n.mu.Unlock()
}

// isBenched reports whether p sits out syncs now. MUST hold n.mu.
func (n *Network) isBenched(p peer.ID) bool {
	now := time.Now()
	rec := n.records.lookup(p, now)
	return rec != nil && now.Before(rec.benched)
}

// strike counts a message from p that it could have checked itself
// (chain.IsPeerFault, or a broken protocol rule) and bans p after
// maxStrikes within banTime: the gater refuses its connections by peer
// id for banTime, so reconnecting resets nothing; GossipSub's score of it
// (retained 10 minutes) keeps it graylisted on the topics as well.
func (n *Network) strike(p peer.ID, why error) {
	now := time.Now()
	n.mu.Lock()
	rec := n.records.get(p, now)
	rec.strikes++
	if until := now.Add(banTime); rec.expires.Before(until) {
		rec.expires = until
	}
	s := rec.strikes
	n.mu.Unlock()
	n.log.Warn("invalid data from peer", "peer", p, "strikes", s, "err", why)
	if s == maxStrikes {
		n.log.Warn("disconnecting and banning peer", "peer", p, "for", banTime)
		_ = n.gater.BlockPeer(p)
		n.h.Network().ClosePeer(p)
		time.AfterFunc(banTime, func() { _ = n.gater.UnblockPeer(p) })
	}
}

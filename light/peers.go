package light

import (
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Penalties, as a full node's (gossip/peerstate.go): a peer that served a
// header failing a check it could have made, or a proof that does not
// verify, gets a strike; maxStrikes within banTime ban it for banTime (the
// connection gater refuses it by peer id). Peers with fewer strikes are
// asked for proofs first.
const (
	maxStrikes = 3
	banTime    = 10 * time.Minute
	// maxRecords bounds the strike table: when full, the record that
	// expires soonest goes (a ban in the gater outlives its record).
	maxRecords = 4096
)

type strikeRecord struct {
	strikes int
	expires time.Time
}

// strikes is a bounded table of strike records, kept across reconnects.
type strikes struct {
	mu sync.Mutex
	m  map[peer.ID]*strikeRecord
}

func newStrikes() *strikes { return &strikes{m: map[peer.ID]*strikeRecord{}} }

// add counts one strike against p and returns its strikes now.
func (s *strikes) add(p peer.ID, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.m[p]
	if rec == nil || now.After(rec.expires) {
		if len(s.m) >= maxRecords {
			var soonest peer.ID
			for q, r := range s.m {
				if soonest == "" || r.expires.Before(s.m[soonest].expires) {
					soonest = q
				}
			}
			delete(s.m, soonest)
		}
		rec = &strikeRecord{}
		s.m[p] = rec
	}
	rec.strikes++
	rec.expires = now.Add(banTime)
	return rec.strikes
}

// count returns p's live strikes.
func (s *strikes) count(p peer.ID, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.m[p]; rec != nil && !now.After(rec.expires) {
		return rec.strikes
	}
	return 0
}

// order sorts ps by strikes, fewest first, in random order among equals
// (so that load spreads and a liar cannot count on being asked last).
func (s *strikes) order(ps []peer.ID) []peer.ID {
	now := time.Now()
	rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	n := make(map[peer.ID]int, len(ps))
	for _, p := range ps {
		n[p] = s.count(p, now)
	}
	sort.SliceStable(ps, func(i, j int) bool { return n[ps[i]] < n[ps[j]] })
	return ps
}

// live returns every peer with live strikes and their count.
func (s *strikes) live(now time.Time) map[peer.ID]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[peer.ID]int, len(s.m))
	for p, rec := range s.m {
		if !now.After(rec.expires) {
			out[p] = rec.strikes
		}
	}
	return out
}

package gossip

import "time"

// SetAnnounceSchedule sets the re-announce backoff of networks made after
// it (a test's own nodes) and returns a func that restores the old one.
func SetAnnounceSchedule(first, max time.Duration) (restore func()) {
	f, m := announceFirst, announceMax
	announceFirst, announceMax = first, max
	return func() { announceFirst, announceMax = f, m }
}

// TxPeers returns how many peers the tx relay keeps state for.
func (n *Network) TxPeers() int {
	n.txr.mu.Lock()
	defer n.txr.mu.Unlock()
	return len(n.txr.peers)
}

// What the tests of package gossip_test read of the network's insides.

const (
	ServeRate  = serveRate
	ServeBurst = serveBurst
	MaxHeaders = maxHeaders
)

// PeerStateSizes returns the sizes of the per-peer maps pruned on
// disconnect, and of the bounded records.
func (n *Network) PeerStateSizes() (peers, scores, serving, asking, records int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.peers), len(n.scores), len(n.serving), len(n.asking), len(n.records.m)
}

// Strikes returns the strikes recorded against the peer with id s.
func (n *Network) Strikes(id string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	for p, rec := range n.records.m {
		if p.String() == id {
			return rec.strikes
		}
	}
	return 0
}

package gossip

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

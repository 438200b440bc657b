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

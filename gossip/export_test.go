package gossip

import "time"

// SetAnnounceSchedule sets the re-announce backoff of networks made after
// it (a test's own nodes) and returns a func that restores the old one.
func SetAnnounceSchedule(first, max time.Duration) (restore func()) {
	f, m := announceFirst, announceMax
	announceFirst, announceMax = first, max
	return func() { announceFirst, announceMax = f, m }
}

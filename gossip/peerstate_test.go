package gossip

import (
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestPeerRecordsBounded: however many peer ids strike or get benched,
// the table holds at most maxRecords; expired records go first, and a
// live record (strikes within banTime) is found again whatever the
// peer did meanwhile (disconnecting forgets nothing here).
func TestPeerRecordsBounded(t *testing.T) {
	r := newPeerRecords()
	now := time.Now()
	striker := peer.ID("striker")
	rec := r.get(striker, now)
	rec.strikes, rec.expires = 2, now.Add(banTime)
	for i := 0; i < 2*maxRecords; i++ {
		rec := r.get(peer.ID(fmt.Sprint("p", i)), now)
		rec.expires = now.Add(time.Duration(i+1) * time.Millisecond) // all expire before the striker's
	}
	if len(r.m) > maxRecords {
		t.Fatalf("%d records, bound %d", len(r.m), maxRecords)
	}
	if rec := r.lookup(striker, now); rec == nil || rec.strikes != 2 {
		t.Fatalf("the striker's record was evicted before records expiring sooner: %+v", rec)
	}
	later := now.Add(time.Minute)
	r.get(peer.ID("new"), later) // the expired ones make room
	if len(r.m) != 2 {
		t.Fatalf("%d records after expiry, want the striker's and the new one", len(r.m))
	}
	if r.lookup(striker, now.Add(banTime+time.Second)) != nil {
		t.Fatal("a record outlived its expiry")
	}
}

package blockchain

import (
	"testing"

	"github.com/tinychain/tinychain/proto"
)

// TestMergeEvents: a lagging listener's merged event keeps the newest
// head, every connected block in order with its stats, and the abandoned
// blocks newest first; the events it was merged from are not changed
// (other listeners share them); the lists are bounded.
func TestMergeEvents(t *testing.T) {
	blk := func(h uint64) *proto.Block { return &proto.Block{Header: proto.Header{Height: h, Nonce: h}} }
	a1, a2, b2, b3 := blk(1), blk(2), blk(102), blk(103)
	first := &HeadEvent{Head: a2, Connected: []*proto.Block{a1, a2}, Stats: make([]ConnectStats, 2)}
	reorg := &HeadEvent{Head: b3, Connected: []*proto.Block{b2, b3}, Stats: make([]ConnectStats, 2), Disconnected: []*proto.Block{a2}}
	back := &HeadEvent{Head: a1, Disconnected: []*proto.Block{b3, b2}}
	l := &listener{max: 1, wake: make(chan struct{}, 1)}
	l.post(first)
	l.post(reorg)
	l.post(back)
	if len(l.queue) != 1 {
		t.Fatalf("%d events queued, want 1", len(l.queue))
	}
	m := l.queue[0]
	want := func(what string, got, want []*proto.Block) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d blocks, want %d", what, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s[%d]: height %d, want %d", what, i, got[i].Header.Height, want[i].Header.Height)
			}
		}
	}
	if m.Head != a1 {
		t.Fatalf("head %d, want the newest (1)", m.Head.Header.Height)
	}
	want("connected", m.Connected, []*proto.Block{a1, a2, b2, b3})
	want("disconnected", m.Disconnected, []*proto.Block{b3, b2, a2})
	if len(m.Stats) != 4 {
		t.Fatalf("%d stats", len(m.Stats))
	}
	want("first event's connected", first.Connected, []*proto.Block{a1, a2})
	if first.Head != a2 || len(first.Disconnected) != 0 {
		t.Fatal("the first event was changed by the merge")
	}

	big := &HeadEvent{Head: a1, Connected: make([]*proto.Block, maxMergedBlocks), Stats: make([]ConnectStats, maxMergedBlocks)}
	for i := range big.Connected {
		big.Connected[i] = a1
	}
	big.Connected[maxMergedBlocks-1] = b3
	l.post(big)
	n := len(l.queue[0].Connected)
	if n != maxMergedBlocks || len(l.queue[0].Stats) != n {
		t.Fatalf("merged %d connected blocks (%d stats), want the bound %d", n, len(l.queue[0].Stats), maxMergedBlocks)
	}
	if l.queue[0].Connected[n-1] != b3 || l.queue[0].Connected[0] != a1 {
		t.Fatal("the newest blocks were not kept")
	}
}

package gossip_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
)

// TestMinChainWorkAndCheckpoints: a fresh node whose first peer serves a
// chain of its own (cheaper than min_chain_work; or heavier but against
// a checkpoint) downloads none of it and stays in its initial download;
// once it meets a peer with the real chain it syncs that. Real libp2p
// hosts on 127.0.0.1.
func TestMinChainWorkAndCheckpoints(t *testing.T) {
	g := easyGenesis()
	real := startNode(t, g, false)
	mineBlocks(t, real, 40)
	fake := startNode(t, g, false)
	mineWith(t, fake, 30, testchain.Transfer(t, g, 1, 0, common.HexToAddress("0xfa4e"), 1))
	heavy := startNode(t, g, false) // a heavier chain of its own
	mineWith(t, heavy, 50, testchain.Transfer(t, g, 2, 0, common.HexToAddress("0xfa4e"), 2))
	at5 := headerAt(t, real, 5)

	// min_chain_work: the real chain's work. The fake chain is longer
	// than most of it and cheaper than all of it.
	withWork := *g
	withWork.MinChainWork = (*hexutil.Big)(real.Chain.Head().TotalWork)
	victim := startNode(t, &withWork, false, fake.Net.ListenAddrs()[0])
	refused(t, victim, fake, 30)
	if victim.Net.Strikes(fake.Net.PeerID()) != 0 {
		t.Fatal("a peer with an honest claim was struck")
	}
	joinReal(t, victim, real)

	// A checkpoint at height 5: a chain heavier than the real one
	// contradicts it there.
	if heavy.Chain.Head().TotalWork.Cmp(real.Chain.Head().TotalWork) <= 0 {
		t.Fatal("the fake chain should be the heavier one")
	}
	withCP := *g
	withCP.Checkpoints = []chain.Checkpoint{{Height: 5, Hash: at5.Hash()}}
	if err := withCP.Check(); err != nil {
		t.Fatal(err)
	}
	victim = startNode(t, &withCP, false, heavy.Net.ListenAddrs()[0])
	waitFor(t, "the fake peer to be struck", 20*time.Second, func() bool {
		return victim.Net.Strikes(heavy.Net.PeerID()) > 0
	})
	if h := victim.Chain.Head().Header.Height; h != 0 {
		t.Fatalf("the victim took %d blocks against a checkpoint", h)
	}
	joinReal(t, victim, real)
}

// refused waits until victim knows peer's status at height, gives the
// sync it starts time to run, and checks that nothing came of it.
func refused(t *testing.T, victim, peer *node.Node, height uint64) {
	t.Helper()
	waitFor(t, "the victim to learn the peer's head", 20*time.Second, func() bool {
		for _, p := range victim.Net.Peers() {
			if p.ID == peer.Net.PeerID() && p.Height == height {
				return true
			}
		}
		return false
	})
	time.Sleep(2 * time.Second) // the sync it starts: headers only, then nothing
	if h := victim.Chain.Head().Header.Height; h != 0 {
		t.Fatalf("the victim took %d blocks of a chain below min_chain_work", h)
	}
	if !victim.Net.Syncing() {
		t.Fatal("below min_chain_work the victim should still be in its initial download")
	}
}

func joinReal(t *testing.T, victim, real *node.Node) {
	t.Helper()
	if err := victim.Net.Connect(real.Net.ListenAddrs()[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the victim to sync the real chain", 30*time.Second, func() bool {
		return victim.Chain.Head().Hash == real.Chain.Head().Hash
	})
	waitFor(t, "the victim to leave its initial download", 10*time.Second, func() bool { return !victim.Net.Syncing() })
}

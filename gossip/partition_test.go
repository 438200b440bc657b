package gossip_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestPartitionHeals: two nodes build apart (the left side with a tx only
// it has), then connect. Both end on the heavier chain with one state
// root; the losing side's tx returns to the mempools and is mined again.
func TestPartitionHeals(t *testing.T) {
	g := easyGenesis()
	left := startNode(t, g, false)
	right := startNode(t, g, false)
	tx := &proto.Tx{ChainID: g.ChainID, Kind: proto.KindTransfer, To: common.HexToAddress("0x99"), Value: 9, GasLimit: chain.TxGas, GasPrice: 1}
	tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(3))
	if err := left.Pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	mineWith(t, left, 3, tx)
	mineBlocks(t, right, 6)
	if _, err := left.Chain.Tx(tx.Hash()); err != nil {
		t.Fatal("the tx is not on the left chain")
	}
	if err := left.Net.Connect(right.Net.ListenAddrs()[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the left side to follow the heavier right chain", 30*time.Second, func() bool {
		return left.Chain.Head().Hash == right.Chain.Head().Hash
	})
	if left.Chain.Head().Header.StateRoot != right.Chain.Head().Header.StateRoot {
		t.Fatal("state roots differ")
	}
	waitFor(t, "the abandoned tx to reach both mempools", 30*time.Second, func() bool {
		return left.Pool.Get(tx.Hash()) != nil && right.Pool.Get(tx.Hash()) != nil
	})
	// The right side mines it; both see it on the one chain.
	mineWith(t, right, 1, right.Pool.Pending()...)
	waitFor(t, "the tx mined again and seen on both sides", 30*time.Second, func() bool {
		_, errL := left.Chain.Tx(tx.Hash())
		_, errR := right.Chain.Tx(tx.Hash())
		return errL == nil && errR == nil && left.Chain.Head().Hash == right.Chain.Head().Hash
	})
}

// TestEqualWorkConverges: two chains of equal work stay apart until the
// next block, then both follow it.
func TestEqualWorkConverges(t *testing.T) {
	g := easyGenesis()
	a := startNode(t, g, false)
	b := startNode(t, g, false)
	mineBlocks(t, a, 2)
	mineBlocks(t, b, 2)
	if err := a.Net.Connect(b.Net.ListenAddrs()[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the peers to connect", 10*time.Second, func() bool { return a.Net.PeerCount() == 1 })
	time.Sleep(time.Second)
	if a.Chain.Head().Hash == b.Chain.Head().Hash {
		t.Fatal("equal-work chains merged without a new block")
	}
	mineBlocks(t, b, 1)
	waitFor(t, "both on b's chain after its next block", 30*time.Second, func() bool {
		return a.Chain.Head().Hash == b.Chain.Head().Hash
	})
}

// mineWith mines k blocks on n's head with txs in the first.
func mineWith(t testing.TB, n *node.Node, k int, txs ...*proto.Tx) {
	t.Helper()
	for i := 0; i < k; i++ {
		tpl, err := n.Chain.NewTemplate()
		if err != nil {
			t.Fatal(err)
		}
		g := n.Chain.Genesis()
		b, _, err := miner.Assemble(tpl, g, wallet.DevAddress(7), tpl.Parent.Timestamp+uint64(g.BlockIntervalMs), txs)
		tpl.Release()
		if err != nil {
			t.Fatal(err)
		}
		solve(b)
		if err := n.Chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		txs = nil
	}
}

// TestEmptyMeshStillDelivers: a block published the moment two nodes
// connect, before either knows the other's subscriptions, still arrives
// (through the status exchange and sync if GossipSub had no one to send to).
func TestEmptyMeshStillDelivers(t *testing.T) {
	g := easyGenesis()
	a := startNode(t, g, false)
	b := startNode(t, g, false)
	if err := a.Net.Connect(b.Net.ListenAddrs()[0]); err != nil {
		t.Fatal(err)
	}
	mineBlocks(t, a, 1)
	waitFor(t, "the block to arrive", 20*time.Second, func() bool {
		return b.Chain.Head().Hash == a.Chain.Head().Hash
	})
}

// TestDHTDiscovery: b and c only know a; through the chain's DHT they
// find and connect to each other.
func TestDHTDiscovery(t *testing.T) {
	g := easyGenesis()
	start := func(boot ...string) *node.Node {
		n, err := node.New(node.Config{DataDir: t.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0",
			P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Bootstrap: boot, DHT: true}})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	a := start()
	b := start(a.Net.ListenAddrs()[0])
	c := start(a.Net.ListenAddrs()[0])
	waitFor(t, "b and c to find each other through the DHT", 30*time.Second, func() bool {
		for _, p := range b.Net.Peers() {
			if p.ID == c.Net.PeerID() {
				return true
			}
		}
		return false
	})
}

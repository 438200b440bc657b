package gossip_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func easyGenesis() *chain.Genesis {
	g := testchain.Genesis()
	g.ChainID = 555
	g.BlockIntervalMs = 500
	return g
}

// startNode runs a node with libp2p on 127.0.0.1, bootstrapped to boot.
func startNode(t *testing.T, g *chain.Genesis, mine bool, boot ...string) *node.Node {
	t.Helper()
	n, err := node.New(node.Config{
		DataDir: t.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0",
		Mine: mine, MinerAddr: wallet.DevAddress(9), MineThreads: 1,
		P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Bootstrap: boot},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mineBlocks extends n's chain by k empty blocks directly (no miner).
func mineBlocks(t testing.TB, n *node.Node, k int) { mineWith(t, n, k) }

func TestThreeNodesShareBlocksAndTxs(t *testing.T) {
	g := easyGenesis()
	a := startNode(t, g, true)
	b := startNode(t, g, false, a.Net.ListenAddrs()[0])
	c := startNode(t, g, false, a.Net.ListenAddrs()[0])
	waitFor(t, "peers", 20*time.Second, func() bool { return a.Net.PeerCount() == 2 })
	waitFor(t, "blocks on b and c", 30*time.Second, func() bool {
		return b.Chain.Head().Header.Height >= 3 && c.Chain.Head().Header.Height >= 3
	})
	// A tx sent to c reaches the miner a and is mined; all see it.
	tx := &proto.Tx{ChainID: g.ChainID, Kind: proto.KindTransfer, To: common.HexToAddress("0x77"), Value: 77, GasLimit: chain.TxGas, GasPrice: 1}
	tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(0))
	if err := c.Pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*node.Node{a, b, c} {
		waitFor(t, "the tx mined everywhere", 30*time.Second, func() bool {
			_, err := n.Chain.Tx(tx.Hash())
			return err == nil
		})
	}
	a.Miner.Stop()
	time.Sleep(500 * time.Millisecond)
	waitFor(t, "heads to agree", 20*time.Second, func() bool {
		h := a.Chain.Head().Hash
		return b.Chain.Head().Hash == h && c.Chain.Head().Hash == h
	})
	if len(a.Net.Peers()) != 2 {
		t.Fatalf("peers %+v", a.Net.Peers())
	}
}

func TestFreshNodeSyncs(t *testing.T) {
	g := easyGenesis()
	a := startNode(t, g, false)
	b := startNode(t, g, false)
	mineBlocks(t, a, 2000)
	// b holds the same chain, imported block by block.
	for h := uint64(1); h <= 2000; h++ {
		hash, _ := a.Chain.HashAt(h)
		blk, _ := a.Chain.Block(hash)
		if err := b.Chain.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	fresh := startNode(t, g, false, a.Net.ListenAddrs()[0], b.Net.ListenAddrs()[0])
	waitFor(t, "the fresh node to sync 2,000 blocks", 120*time.Second, func() bool {
		return fresh.Chain.Head().Hash == a.Chain.Head().Hash
	})
	t.Logf("synced 2,000 blocks in %v", time.Since(start))
	if fresh.Chain.Head().Header.StateRoot != a.Chain.Head().Header.StateRoot {
		t.Fatal("state roots differ")
	}
}

func TestAnotherGenesisIsDropped(t *testing.T) {
	g := easyGenesis()
	other := easyGenesis()
	other.Timestamp++ // same chain id, another genesis
	a := startNode(t, g, false)
	b := startNode(t, other, false, a.Net.ListenAddrs()[0])
	time.Sleep(2 * time.Second)
	if a.Net.PeerCount() != 0 || b.Net.PeerCount() != 0 {
		t.Fatalf("peers on another genesis stay connected: %d %d", a.Net.PeerCount(), b.Net.PeerCount())
	}
}

func solve(b *proto.Block) {
	var c atomic.Uint64
	miner.Solve(context.Background(), &b.Header, 1, &c)
}

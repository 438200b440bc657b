package gossip_test

import (
	"math/big"
	"sort"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func benchNode(b *testing.B, g *chain.Genesis, boot ...string) *node.Node {
	b.Helper()
	n, err := node.New(node.Config{DataDir: b.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0",
		P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Bootstrap: boot}})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}

// BenchmarkPropagation8 measures how long a block takes to reach all of 8
// nodes on loopback (each bootstrapped to the one before and to node 0).
func BenchmarkPropagation8(b *testing.B) {
	g := easyGenesis()
	nodes := []*node.Node{benchNode(b, g)}
	for i := 1; i < 8; i++ {
		nodes = append(nodes, benchNode(b, g, nodes[0].Net.ListenAddrs()[0], nodes[i-1].Net.ListenAddrs()[0]))
	}
	deadline := time.Now().Add(30 * time.Second)
	for nodes[0].Net.PeerCount() < 7 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let the meshes form
	var durs []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src := nodes[i%len(nodes)]
		start := time.Now()
		mineOne(b, src)
		want := src.Chain.Head().Hash
		for _, n := range nodes {
			for n.Chain.Head().Hash != want {
				if time.Since(start) > 30*time.Second {
					b.Fatal("a block did not reach every node")
				}
				time.Sleep(200 * time.Microsecond)
			}
		}
		durs = append(durs, time.Since(start))
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(durs[(len(durs)-1)*99/100].Microseconds())/1000, "p99_ms")
}

func mineOne(b *testing.B, n *node.Node, txs ...*proto.Tx) { mineWith(b, n, 1, txs...) }

// BenchmarkSync measures a fresh node syncing 200 blocks of 100 transfers
// from two peers.
func BenchmarkSync(b *testing.B) {
	g := easyGenesis()
	g.BlockGasLimit = 200 * chain.TxGas
	src := benchNode(b, g)
	nonces := make([]uint64, wallet.DevKeys)
	const blocks, perBlock = 200, 100
	for i := 0; i < blocks; i++ {
		var txs []*proto.Tx
		for j := 0; j < perBlock; j++ {
			from := j % wallet.DevKeys
			tx := &proto.Tx{ChainID: g.ChainID, Nonce: nonces[from], Kind: proto.KindTransfer,
				To: common.BigToAddress(big.NewInt(int64(1000 + i*perBlock + j))), Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
			nonces[from]++
			tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(from))
			txs = append(txs, tx)
		}
		mineOne(b, src, txs...)
	}
	peer2 := benchNode(b, g)
	for h := uint64(1); h <= blocks; h++ {
		hash, _ := src.Chain.HashAt(h)
		blk, _ := src.Chain.Block(hash)
		if err := peer2.Chain.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		fresh := benchNode(b, g, src.Net.ListenAddrs()[0], peer2.Net.ListenAddrs()[0])
		for fresh.Chain.Head().Hash != src.Chain.Head().Hash {
			if time.Since(start) > 2*time.Minute {
				b.Fatal("sync did not finish")
			}
			time.Sleep(5 * time.Millisecond)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(blocks*b.N)/total.Seconds(), "blocks/s")
	b.ReportMetric(float64(blocks*perBlock*b.N)/total.Seconds(), "tx/s")
}

package light_test

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func genesis() *chain.Genesis {
	g := testchain.Genesis()
	g.ChainID = 8080
	return g
}

// fullNode runs a full node with libp2p on 127.0.0.1 and k blocks mined
// by the test (the first holding txs, so that two nodes' chains differ).
func fullNode(t *testing.T, g *chain.Genesis, k int, txs ...*proto.Tx) (*node.Node, peer.AddrInfo) {
	t.Helper()
	n, err := node.New(node.Config{DataDir: t.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0",
		P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	tc := &testchain.Chain{T: t, G: g, C: n.Chain}
	for range k {
		if err := n.Chain.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9), txs...)); err != nil {
			t.Fatal(err)
		}
		txs = nil
	}
	addr, _ := ma.NewMultiaddr(n.Net.ListenAddrs()[0])
	info, err := peer.AddrInfoFromP2pAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	return n, *info
}

func bareHost(t *testing.T, peers ...peer.AddrInfo) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	for _, p := range peers {
		if err := h.Connect(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// TestHeaderSync: a header store syncs a full node's 2,500 headers over
// libp2p (two replies), keeps them across a restart, follows a heavier
// chain from a second node (a reorganisation of headers), and its
// confirmed header is the one N blocks under the tip.
func TestHeaderSync(t *testing.T) {
	g := genesis()
	a, aInfo := fullNode(t, g, 2500)
	b, bInfo := fullNode(t, g, 2600, testchain.Transfer(t, g, 0, 0, common.HexToAddress("0xb"), 1))
	h := bareHost(t, aInfo, bInfo)
	dir := t.TempDir()
	s, err := light.Open(dir, g)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n, err := s.SyncFrom(ctx, h, aInfo.ID); err != nil || n != 2500 {
		t.Fatalf("synced %d headers: %v", n, err)
	}
	if tip, height, _ := s.Tip(); tip != a.Chain.Head().Hash || height != 2500 {
		t.Fatalf("tip %s at %d", tip, height)
	}
	hdr, ok, err := s.Confirmed(6)
	if err != nil || !ok || hdr.Height != 2494 {
		t.Fatalf("confirmed header: %v %v %+v", ok, err, hdr)
	}
	if want, _ := a.Chain.HashAt(2494); hdr.Hash() != want {
		t.Fatal("confirmed header is not the full node's")
	}
	s.Close()

	s, err = light.Open(dir, g)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if tip, _, _ := s.Tip(); tip != a.Chain.Head().Hash || s.Len() != 2501 {
		t.Fatalf("after a restart: tip %s, %d headers", tip, s.Len())
	}
	if n, err := s.SyncFrom(ctx, h, bInfo.ID); err != nil || n != 2600 {
		t.Fatalf("synced %d headers of the heavier chain: %v", n, err)
	}
	if tip, _, _ := s.Tip(); tip != b.Chain.Head().Hash {
		t.Fatal("the heavier chain did not become the tip")
	}
	if got, _ := s.HashAt(100); got != mustHashAt(t, b, 100) {
		t.Fatal("the best chain is not the heavier node's")
	}
}

func mustHashAt(t *testing.T, n *node.Node, height uint64) common.Hash {
	h, err := n.Chain.HashAt(height)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAddChecksHeaders: a header with a changed field fails the full
// node's header checks, one against a checkpoint is refused, and an
// orphan is reported as such.
func TestAddChecksHeaders(t *testing.T) {
	g := genesis()
	a, _ := fullNode(t, g, 3)
	h1 := headerAt(t, a, 1)
	for name, tamper := range map[string]func(h *proto.Header){
		"target":    func(h *proto.Header) { h.Target[31]++ },
		"pow":       func(h *proto.Header) { h.Target = [32]byte{0, 0, 0, 0, 1} },
		"height":    func(h *proto.Header) { h.Height = 2 },
		"timestamp": func(h *proto.Header) { h.Timestamp = 1 },
	} {
		s, err := light.Open(t.TempDir(), g)
		if err != nil {
			t.Fatal(err)
		}
		bad := *h1
		tamper(&bad)
		if err := s.Add(&bad, uint64(a.Chain.Now().UnixMilli())); err == nil {
			t.Errorf("%s changed: accepted", name)
		}
		s.Close()
	}
	cp := *g
	cp.Checkpoints = []chain.Checkpoint{{Height: 1, Hash: common.Hash{1}}}
	s, err := light.Open(t.TempDir(), &cp)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Add(h1, uint64(a.Chain.Now().UnixMilli())); err == nil {
		t.Error("a header against a checkpoint was accepted")
	}
	if err := s.Add(headerAt(t, a, 3), uint64(a.Chain.Now().UnixMilli())); err == nil {
		t.Error("an orphan header was accepted")
	}
}

func headerAt(t *testing.T, n *node.Node, height uint64) *proto.Header {
	t.Helper()
	info, err := n.Chain.HeaderByHash(mustHashAt(t, n, height))
	if err != nil {
		t.Fatal(err)
	}
	return &info.Header
}

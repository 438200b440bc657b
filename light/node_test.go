package light_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// lightNode runs a light node on 127.0.0.1 bootstrapped to peers.
func lightNode(t *testing.T, g *chain.Genesis, peers ...peer.AddrInfo) *light.Node {
	t.Helper()
	return runLight(t, g, light.Config{Confirmations: 6}, peers...)
}

// runLight runs a light node on 127.0.0.1 with cfg (data dir, genesis,
// listen and HTTP addresses filled in) bootstrapped to peers, closed at
// the test's end.
func runLight(t *testing.T, g *chain.Genesis, cfg light.Config, peers ...peer.AddrInfo) *light.Node {
	t.Helper()
	cfg.DataDir, cfg.Genesis, cfg.Listen, cfg.HTTPAddr = t.TempDir(), g, []string{"/ip4/127.0.0.1/tcp/0"}, "127.0.0.1:0"
	for _, p := range peers {
		cfg.Bootstrap = append(cfg.Bootstrap, fmt.Sprintf("%s/p2p/%s", p.Addrs[0], p.ID))
	}
	n, err := light.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// waitTip waits until the light node's tip is want.
func waitTip(t *testing.T, l *light.Node, want common.Hash) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		tip, height, _ := l.Store().Tip()
		if tip == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("light tip %s at %d, want %s", tip, height, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

// mineVia mines k blocks on n's head through its importer, as gossiped
// blocks go: the network publishes each.
func mineVia(t *testing.T, n *node.Node, g *chain.Genesis, k int, txs ...*proto.Tx) {
	t.Helper()
	tc := &testchain.Chain{T: t, G: g, C: n.Chain}
	for range k {
		if err := n.Importer.Submit(context.Background(), tc.MineOnHead(wallet.DevAddress(9), txs...), blockchain.BlockOrigin{}); err != nil {
			t.Fatal(err)
		}
		txs = nil
	}
}

// TestLightNodeTwoFullNodes: a light node bootstrapped to two full nodes
// on other chains takes the heavier's headers, answers a balance from it
// verified 6 blocks deep, follows the other when it overtakes (a reorg of
// headers, brought by gossip), and once the full nodes converge gives the
// balances both of them give, in the full node's JSON shape.
func TestLightNodeTwoFullNodes(t *testing.T) {
	g := genesis()
	b1, c1 := common.HexToAddress("0xb1"), common.HexToAddress("0xc1")
	a, aInfo := fullNode(t, g, 20)
	b, bInfo := fullNode(t, g, 30, testchain.Transfer(t, g, 0, 0, b1, 111))
	l := lightNode(t, g, aInfo, bInfo)
	url := "http://" + l.HTTPAddr()
	waitTip(t, l, b.Chain.Head().Hash)

	var st light.Status
	if code := get(t, url+"/v1/status", &st); code != 200 || !st.Light || st.Height != 30 || st.Head != b.Chain.Head().Hash || st.Confirmations != 6 {
		t.Fatalf("status %d %+v", code, st)
	}
	var acct light.Account
	if code := get(t, url+"/v1/accounts/"+b1.Hex(), &acct); code != 200 || acct.Balance != 111 || acct.Height != 24 || acct.Peer != bInfo.ID.String() {
		t.Fatalf("account %d %+v", code, acct)
	}
	if want, _ := b.Chain.HashAt(24); acct.Block != want {
		t.Fatal("verified against another block than the full node's 24")
	}

	// A overtakes with a tx of its own: the light node reorganises.
	mineVia(t, a, g, 25, testchain.Transfer(t, g, 1, 0, c1, 222))
	waitTip(t, l, a.Chain.Head().Hash)
	var blk light.Block
	if code := get(t, url+"/v1/blocks/head", &blk); code != 200 || blk.Hash != a.Chain.Head().Hash || blk.Height != 45 || !blk.Main || !blk.HeaderOnly {
		t.Fatalf("head %d %+v", code, blk)
	}
	metrics := getText(t, url+"/metrics")
	if !strings.Contains(metrics, `tinychain_light_headers_added_total{source="gossip"}`) {
		t.Errorf("no header came by gossip:\n%s", metrics)
	}

	// The full nodes converge on A's chain.
	if err := b.Net.Connect(aInfo.Addrs[0].String() + "/p2p/" + aInfo.ID.String()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); b.Chain.Head().Hash != a.Chain.Head().Hash; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the full nodes did not converge")
		}
	}
	for _, addr := range []common.Address{b1, c1, wallet.DevAddress(0), wallet.DevAddress(1), wallet.DevAddress(9)} {
		var got light.Account
		if code := get(t, url+"/v1/accounts/"+addr.Hex(), &got); code != 200 || got.Height != 39 {
			t.Fatalf("%s: %d %+v", addr, code, got)
		}
		for _, full := range []*node.Node{a, b} {
			var want node.Account
			if code := get(t, "http://"+full.HTTPAddr()+"/v1/accounts/"+addr.Hex(), &want); code != 200 {
				t.Fatal(code)
			}
			// The head is 6 blocks past the verified one, and only
			// dev 9 (the miner) gains in between.
			if addr != wallet.DevAddress(9) && (got.Balance != want.Balance || got.Nonce != want.Nonce) {
				t.Errorf("%s: light %s/%d, full %s/%d", addr, got.Balance, got.Nonce, want.Balance, want.Nonce)
			}
		}
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

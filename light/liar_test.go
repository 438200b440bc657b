package light_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/node"
)

// TestLightNodeNamesLiar: a light node that knows an honest full node
// and a harness peer serving tampered proofs (an account's balance raised,
// a tx's receipt turned into a fault) answers GET /v1/accounts/{a} and
// GET /v1/txs/{h} with the honest, verified answer every time; the first
// time it asks the liar, it logs it with its peer id, strikes it (peer
// table, metrics) and from then on asks the honest node first, so the
// liar is not asked again. A harness that answers garbage is struck as
// well. Full nodes are asked in random order among equals, so the test
// queries until the liar was asked (each query asks it first with
// probability 1/2; 64 tries).
func TestLightNodeNamesLiar(t *testing.T) {
	g := genesis()
	to := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	tx := testchain.Transfer(t, g, 0, 0, to, 31337)
	full, fullInfo := fullNode(t, g, 20, tx)
	var want node.TxInfo
	if code := get(t, "http://"+full.HTTPAddr()+"/v1/txs/"+tx.Hash().Hex(), &want); code != 200 {
		t.Fatalf("full node: tx %d", code)
	}
	for _, c := range []struct {
		name, path string
		kind       uint8
		mode       mode
		check      func(t *testing.T, url string) string // the answer's proof_from
	}{
		{"account lie", "/v1/accounts/" + to.Hex(), gossip.ProofAccount, modeLie, func(t *testing.T, url string) string {
			var got light.Account
			if code := get(t, url, &got); code != 200 || got.Balance != 31337 || got.Height != 14 {
				t.Fatalf("account: %d %+v", code, got)
			}
			return got.Peer
		}},
		{"tx lie", "/v1/txs/" + tx.Hash().Hex(), gossip.ProofTx, modeLie, func(t *testing.T, url string) string {
			var got light.TxStatus
			if code := get(t, url, &got); code != 200 || !sameJSON(got.Receipt, want.Receipt) || *got.TxStatus.Block != *want.Block ||
				got.Tx.Hash != tx.Hash() || got.Receipt.Status != "ok" {
				t.Fatalf("tx: %d %+v, want receipt %+v", code, got, want.Receipt)
			}
			return got.Peer
		}},
		{"tx garbage", "/v1/txs/" + tx.Hash().Hex(), gossip.ProofTx, modeGarbage, func(t *testing.T, url string) string {
			var got light.TxStatus
			if code := get(t, url, &got); code != 200 || !sameJSON(got.Receipt, want.Receipt) {
				t.Fatalf("tx: %d %+v", code, got)
			}
			return got.Peer
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			liar := newHarness(t, g, c.mode, fullInfo)
			var logs logBuffer
			l := startLight(t, g, light.Config{Confirmations: 6, Logger: logs.logger()}, 2, fullInfo, liar.info())
			waitTip(t, l, full.Chain.Head().Hash)
			url := "http://" + l.HTTPAddr()
			for i := 0; liar.asked[c.kind].Load() == 0; i++ {
				if i == 64 {
					t.Fatal("64 queries never asked the liar")
				}
				if from := c.check(t, url+c.path); from != fullInfo.ID.String() {
					t.Fatalf("answer from %s, not the honest node", from)
				}
			}
			if r := peerRow(t, l, liar.h.ID()); r.Strikes != 1 || !r.FullNode || r.Banned || !r.Connected {
				t.Fatalf("liar's row %+v", r)
			}
			if r := peerRow(t, l, fullInfo.ID); r.Strikes != 0 {
				t.Fatalf("honest node's row %+v", r)
			}
			kind := map[uint8]string{gossip.ProofAccount: "account", gossip.ProofTx: "tx"}[c.kind]
			if v := metricLine(t, url, `tinychain_light_proofs_total{kind="`+kind+`",result="lied"}`); v != "1" {
				t.Errorf("lied proofs metric %q, want 1", v)
			}
			if v := metricLine(t, url, "tinychain_light_peer_strikes_total"); v != "1" {
				t.Errorf("strikes metric %q, want 1", v)
			}
			if !logged(logs.String(), "does not verify", liar.h.ID()) {
				t.Errorf("the liar %s is not named in the log:\n%s", liar.h.ID(), logs.String())
			}
			// Struck, it is asked after the honest node: not at all.
			for range 10 {
				if from := c.check(t, url+c.path); from != fullInfo.ID.String() {
					t.Fatalf("answer from %s, not the honest node", from)
				}
			}
			if n := liar.asked[c.kind].Load(); n != 1 {
				t.Errorf("the struck liar was asked %d times", n)
			}
		})
	}
}

// logged reports whether a line of logs holds what and p's id.
func logged(logs, what string, p peer.ID) bool {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, what) && strings.Contains(line, "peer="+p.String()) {
			return true
		}
	}
	return false
}

// TestLightNodeBansLiar: once the honest full node is gone, a light node
// whose only full node serves proofs that do not decode answers 502 lied
// (the error code "lied") and strikes it each time; the third strike bans
// it: disconnected, banned in the peer table, and the next query finds no
// full node to ask (503).
func TestLightNodeBansLiar(t *testing.T) {
	g := genesis()
	to := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	full, fullInfo := fullNode(t, g, 20, testchain.Transfer(t, g, 0, 0, to, 5))
	liar := newHarness(t, g, modeGarbage)
	l := startLight(t, g, light.Config{Confirmations: 6}, 2, fullInfo, liar.info())
	waitTip(t, l, full.Chain.Head().Hash)
	full.Close()
	for deadline := time.Now().Add(60 * time.Second); peerRow(t, l, liar.h.ID()).Connected && len(l.Peers()) > 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the closed full node is still connected: %+v", l.Peers())
		}
	}
	url := "http://" + l.HTTPAddr() + "/v1/accounts/" + to.Hex()
	for i := 1; i <= 3; i++ {
		var e node.Error
		if code := getErr(t, url, &e); code != http.StatusBadGateway || e.Code != "lied" || !strings.Contains(e.Error, liar.h.ID().String()) {
			t.Fatalf("query %d: %d %+v", i, code, e)
		}
	}
	if r := peerRow(t, l, liar.h.ID()); r.Strikes != 3 || !r.Banned || r.Connected {
		t.Fatalf("after 3 lies: %+v", r)
	}
	if n := liar.asked[gossip.ProofAccount].Load(); n != 3 {
		t.Fatalf("liar asked %d times", n)
	}
	var e node.Error
	if code := getErr(t, url, &e); code != http.StatusServiceUnavailable {
		t.Fatalf("with the liar banned: %d %+v", code, e)
	}
	if err := liar.h.Connect(context.Background(), peer.AddrInfo{ID: peer.ID(l.PeerID()), Addrs: hostAddrs(t, l)}); err == nil {
		t.Error("the banned liar could connect again")
	}
}

// getErr is get for an error answer: it decodes the body whatever the status.
func getErr(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %d: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// hostAddrs returns the light node's p2p addresses without the peer id.
func hostAddrs(t *testing.T, l *light.Node) []ma.Multiaddr {
	t.Helper()
	var out []ma.Multiaddr
	for _, s := range l.ListenAddrs() {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			t.Fatal(err)
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info.Addrs...)
	}
	return out
}

// sameJSON reports whether a and b have the same JSON form.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

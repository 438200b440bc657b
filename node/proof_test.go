package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func getProof(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// verifiedAccount fetches the proof of a at block (height; -1: the head)
// and checks it with package proof against the block hash the node's
// block API names (what a client trusts once it checked the header).
func verifiedAccount(t *testing.T, n *node.Node, cl *node.Client, a common.Address, block int64, tape bool) (*proto.Account, *proof.AccountProof) {
	t.Helper()
	url := fmt.Sprintf("http://%s/v1/accounts/%s/proof", n.HTTPAddr(), a.Hex())
	sep := "?"
	if block >= 0 {
		url += fmt.Sprintf("?block=%d", block)
		sep = "&"
	}
	if tape {
		url += sep + "tape=1"
	}
	var out node.AccountProof
	if code := getProof(t, url, &out); code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
	p, err := proof.DecodeAccountProof(out.Raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cl.Block(context.Background(), fmt.Sprint(out.BlockHeight), false)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := proof.VerifyAccountAt(p, a, b.Hash)
	if err != nil {
		t.Fatalf("proof of %s at %d: %v", a, out.BlockHeight, err)
	}
	if out.Exists != (acct != nil) || (acct != nil && uint64(out.Account.Balance) != acct.Balance) {
		t.Fatalf("JSON %+v does not match the proof %+v", out, acct)
	}
	// The JSON form is the wire form's fields, one for one.
	if string(out.Proof.Encode()) != string(out.Raw) {
		t.Fatal("JSON proof differs from the raw one")
	}
	return acct, p
}

// TestProofsEndToEnd: a real node proves a funded account, an absent one,
// the same account before it was funded (a block in the window), the
// world tape, and a tx with its receipt; package proof accepts each.
func TestProofsEndToEnd(t *testing.T) {
	// A node that does not mine, fed blocks the test mines, so that the
	// heights stay where the test puts them.
	g := easyGenesis()
	n := runNode(t, node.Config{Genesis: g})
	cl := node.NewClient("http://" + n.HTTPAddr())
	tc := &testchain.Chain{T: t, G: g, C: n.Chain}
	to := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	tx := testchain.Transfer(t, g, 0, 0, to, 777)
	exec := testchain.Sign(t, g, 0, &proto.Tx{Nonce: 1, Kind: proto.KindExec, Data: []byte("+>++"), GasLimit: 100000})
	for _, txs := range [][]*proto.Tx{{tx}, {exec}, nil} {
		if err := n.Chain.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9), txs...)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := cl.WaitTx(ctx, tx.Hash())
	if err != nil || *res.Height != 1 {
		t.Fatalf("tx: %v", err)
	}

	acct, _ := verifiedAccount(t, n, cl, to, -1, false)
	if acct == nil || acct.Balance != 777 {
		t.Fatalf("funded account at the head: %+v", acct)
	}
	if acct, _ := verifiedAccount(t, n, cl, to, int64(*res.Height), false); acct == nil || acct.Balance != 777 {
		t.Fatalf("at its block: %+v", acct)
	}
	if acct, _ := verifiedAccount(t, n, cl, to, int64(*res.Height)-1, false); acct != nil {
		t.Fatalf("before its block: %+v", acct)
	}
	if acct, _ := verifiedAccount(t, n, cl, common.HexToAddress("0xabcdef"), -1, false); acct != nil {
		t.Fatalf("never funded: %+v", acct)
	}
	world, p := verifiedAccount(t, n, cl, common.Address{}, -1, true)
	if world == nil || string(p.Tape) != "\x01\x02" {
		t.Fatalf("world tape: %+v %x", world, p.Tape)
	}

	var tp node.TxProof
	if code := getProof(t, fmt.Sprintf("http://%s/v1/txs/%s/proof", n.HTTPAddr(), tx.Hash().Hex()), &tp); code != http.StatusOK {
		t.Fatalf("tx proof: %d", code)
	}
	q, err := proof.DecodeTxProof(tp.Raw)
	if err != nil {
		t.Fatal(err)
	}
	ptx, rcpt, err := proof.VerifyTxAt(q, tx.Hash(), *res.Block)
	if err != nil || ptx.Value != 777 || rcpt.Status != proto.StatusOK {
		t.Fatalf("tx proof: %v", err)
	}

	for url, want := range map[string]int{
		"/v1/accounts/" + to.Hex() + "/proof?block=99999999": 404,
		"/v1/accounts/" + to.Hex() + "/proof?block=x":        400,
		"/v1/accounts/0x12/proof":                            400,
		"/v1/txs/" + common.Hash{1}.Hex() + "/proof":         404,
		"/v1/txs/0x12/proof":                                 400,
	} {
		if code := getProof(t, "http://"+n.HTTPAddr()+url, nil); code != want {
			t.Errorf("GET %s: %d, want %d", url, code, want)
		}
	}
}

// TestHeadersEndpoint: GET /v1/headers gives the main chain's headers in
// their canonical encoding from ?after on, at most ?limit, and refuses
// malformed or unbounded queries.
func TestHeadersEndpoint(t *testing.T) {
	g := easyGenesis()
	n := runNode(t, node.Config{Genesis: g})
	cl := node.NewClient("http://" + n.HTTPAddr())
	tc := &testchain.Chain{T: t, G: g, C: n.Chain}
	for range 5 {
		if err := n.Chain.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9))); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, c := range []struct {
		after uint64
		limit int
		want  []uint64
	}{{0, node.MaxHeaders, []uint64{1, 2, 3, 4, 5}}, {3, 1, []uint64{4}}, {4, 10, []uint64{5}}, {5, 10, nil}, {99, 10, nil}} {
		hs, err := cl.Headers(ctx, c.after, c.limit)
		if err != nil || len(hs.Headers) != len(c.want) || hs.Height != 5 {
			t.Fatalf("after %d limit %d: %+v %v", c.after, c.limit, hs, err)
		}
		for i, b := range hs.Headers {
			h, err := proto.DecodeHeader(b)
			if err != nil || h.Height != c.want[i] || h.Hash() != mustHashAt(t, n, c.want[i]) {
				t.Fatalf("after %d: header %d: %+v %v", c.after, i, h, err)
			}
		}
	}
	for _, q := range []string{"limit=0", fmt.Sprintf("limit=%d", node.MaxHeaders+1), "after=x", "after=-1"} {
		var out node.Headers
		if code := getProof(t, "http://"+n.HTTPAddr()+"/v1/headers?"+q, &out); code != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", q, code)
		}
	}
}

func mustHashAt(t *testing.T, n *node.Node, height uint64) common.Hash {
	t.Helper()
	h, err := n.Chain.HashAt(height)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

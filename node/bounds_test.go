package node

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// mineTxs puts a block of txs on n's chain.
func mineTxs(t *testing.T, n *Node, txs []*proto.Tx) *proto.Block {
	t.Helper()
	tpl, err := n.Chain.NewTemplate()
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := miner.Assemble(tpl, n.Chain.Genesis(), wallet.DevAddress(9), tpl.Parent.Timestamp+1000, txs)
	tpl.Release()
	if err != nil || len(b.Txs) != len(txs) {
		t.Fatalf("assemble: %v, %d of %d txs", err, len(b.Txs), len(txs))
	}
	var hashes atomic.Uint64
	miner.Solve(context.Background(), &b.Header, 1, &hashes)
	if err := n.Chain.ProcessBlock(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func signedTransfers(t *testing.T, g *chain.Genesis, key int, from uint64, count int, data int) []*proto.Tx {
	t.Helper()
	txs := make([]*proto.Tx, count)
	for i := range txs {
		tx := &proto.Tx{ChainID: g.ChainID, Nonce: from + uint64(i), Kind: proto.KindTransfer, To: common.Address{5},
			Value: 1, GasLimit: chain.TxGas + chain.TxDataGasByte*uint64(data), GasPrice: 1, Data: make([]byte, data)}
		sig, err := wallet.Sign(tx.SigHash(), wallet.DevKey(key))
		if err != nil {
			t.Fatal(err)
		}
		tx.Sig = sig
		txs[i] = tx
	}
	return txs
}

// TestBlockRequestsAreBounded: what one request makes the node decode is
// bounded whatever the blocks hold: ?full=1 renders at most MaxFullTxs
// whole txs (one signature recovery each) and pages with tx_offset; the
// block list stops at its decode budget and says truncated.
func TestBlockRequestsAreBounded(t *testing.T) {
	n := startLimited(t, HTTPLimits{})
	g := n.Chain.Genesis()
	base := "http://" + n.HTTPAddr()
	big := mineTxs(t, n, signedTransfers(t, g, 0, 0, MaxFullTxs+5, 0))

	var blk Block
	get := func(path string, v any) {
		t.Helper()
		resp, body := do(t, "GET", base+path, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatal(err)
		}
	}
	get("/v1/blocks/"+big.Hash().Hex()+"?full=1", &blk)
	var txs []*Tx
	json.Unmarshal(blk.Txs, &txs)
	if blk.TxCount != MaxFullTxs+5 || len(txs) != MaxFullTxs || txs[0].Hash != big.Txs[0].Hash() {
		t.Fatalf("full block: tx_count %d, %d txs rendered (at most %d)", blk.TxCount, len(txs), MaxFullTxs)
	}
	get("/v1/blocks/"+big.Hash().Hex()+"?full=1&tx_offset="+strconv.Itoa(MaxFullTxs), &blk)
	json.Unmarshal(blk.Txs, &txs)
	if blk.TxOffset != MaxFullTxs || len(txs) != 5 || txs[0].Hash != big.Txs[MaxFullTxs].Hash() {
		t.Fatalf("second page: offset %d, %d txs", blk.TxOffset, len(txs))
	}
	if hs, err := (&Block{Txs: mustJSON(t, "/v1/blocks/"+big.Hash().Hex(), base)}).TxHashes(); err != nil || len(hs) != MaxFullTxs+5 {
		t.Fatalf("hashes: %d, %v", len(hs), err)
	}

	// Three blocks of about 60 KB each; a budget of 150 KB lists two.
	for i := range 3 {
		mineTxs(t, n, signedTransfers(t, g, 1+i, 0, 100, 500))
	}
	old := maxBlockListBytes
	maxBlockListBytes = 150_000
	defer func() { maxBlockListBytes = old }()
	var list BlockList
	get("/v1/blocks?limit=10", &list)
	if len(list.Blocks) != 2 || !list.Truncated {
		t.Fatalf("list under a 150 KB budget: %d blocks, truncated %v", len(list.Blocks), list.Truncated)
	}
	maxBlockListBytes = 1
	get("/v1/blocks?limit=10", &list)
	if len(list.Blocks) != 1 || !list.Truncated {
		t.Fatalf("list under a 1-byte budget: %d blocks (always at least one), truncated %v", len(list.Blocks), list.Truncated)
	}
}

func mustJSON(t *testing.T, path, base string) json.RawMessage {
	t.Helper()
	resp, body := do(t, "GET", base+path, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	var b Block
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	return b.Txs
}

// TestEvalCodeBounded: eval code longer than max_tx_bytes gets 413 with a
// message saying so, and eval pays the load gas of the code it runs.
func TestEvalCodeBounded(t *testing.T) {
	n := startLimited(t, HTTPLimits{})
	base := "http://" + n.HTTPAddr()
	max := n.Chain.Genesis().MaxTxBytes
	code := make([]byte, max+1)
	for i := range code {
		code[i] = '+'
	}
	body, _ := json.Marshal(map[string]any{"code": string(code)})
	if resp, msg := do(t, "POST", base+"/v1/eval", string(body), nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("eval of %d bytes: %d %s", len(code), resp.StatusCode, msg)
	}
	body, _ = json.Marshal(map[string]any{"code": "hello +."})
	resp, msg := do(t, "POST", base+"/v1/eval", string(body), nil)
	var res EvalResult
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(msg), &res) != nil {
		t.Fatalf("eval: %d %s", resp.StatusCode, msg)
	}
	if res.GasUsed != 8+4+17 || res.Status != "ok" || res.ErrorCode != "" {
		t.Fatalf("eval of 8 bytes +.: %+v (want 8 load + 4 + 17 gas)", res)
	}
	body, _ = json.Marshal(map[string]any{"code": "+<", "gas_limit": 100})
	_, msg = do(t, "POST", base+"/v1/eval", string(body), nil)
	json.Unmarshal([]byte(msg), &res)
	if res.Status != "fault" || res.ErrorCode != "tape_left" || res.FaultAt != 1 || res.Error == "" {
		t.Fatalf("faulting eval: %+v", res)
	}
}
